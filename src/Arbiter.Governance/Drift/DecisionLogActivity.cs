using Arbiter.DecisionLog;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Drift;

/// <summary>
/// When an agent last acted, from the decision log: the newest decision naming it as the acting agent, searched
/// backwards a month at a time (the log's largest query range) over twice <see cref="GovernanceOptions.UnusedDays"/>
/// (at least 90 days). Nothing found → unknown (null): a brand-new agent is not "unused", an agent that acted once and
/// then fell silent is.
/// </summary>
public sealed class DecisionLogActivity(IDecisionLogQuery log, IOptions<GovernanceOptions> options, TimeProvider time) : IAgentActivity
{
    public async ValueTask<DateTimeOffset?> LastSeenAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var horizon = now.AddDays(-Math.Max(90, 2 * options.Value.UnusedDays));
        for (var to = now.AddMinutes(1); to > horizon; to -= DecisionLogQuery.MaxRange)
        {
            var from = to - DecisionLogQuery.MaxRange < horizon ? horizon : to - DecisionLogQuery.MaxRange;
            var page = await log.QueryAsync(tenantId, new DecisionLogQuery { From = from, To = to, AgentId = agentId }, null, 1, cancellationToken);
            if (page.Items.Count > 0)
                return page.Items[0].Time;
        }
        return null;
    }
}
