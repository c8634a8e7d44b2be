using Arbiter.DecisionLog;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Drift;

/// <summary>
/// When an agent last acted, from the decision log: the newest decision naming it as the acting agent, searched
/// backwards a month at a time (the log's largest query range) up to <see cref="GovernanceOptions.UnusedDays"/>.
/// </summary>
public sealed class DecisionLogActivity(IDecisionLogQuery log, IOptions<GovernanceOptions> options, TimeProvider time) : IAgentActivity
{
    public async ValueTask<DateTimeOffset?> LastSeenAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var horizon = now.AddDays(-Math.Max(1, options.Value.UnusedDays) - 1);
        for (var to = now.AddMinutes(1); to > horizon; to -= DecisionLogQuery.MaxRange)
        {
            var from = to - DecisionLogQuery.MaxRange < horizon ? horizon : to - DecisionLogQuery.MaxRange;
            var page = await log.QueryAsync(tenantId, new DecisionLogQuery { From = from, To = to, AgentId = agentId }, null, 1, cancellationToken);
            if (page.Items.Count > 0)
                return page.Items[0].Time;
        }
        // Nothing within the horizon: report the horizon itself, so the agent counts as unused for at least that long.
        return horizon;
    }
}
