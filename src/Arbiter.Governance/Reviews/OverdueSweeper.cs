using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// Applies <see cref="GovernanceOptions.OverdueAction"/> (suspend or revoke) to every open task past its due date. The
/// task ends <c>expired</c>, and its history names the setting and what it did. Run it from a timer (hourly is plenty).
/// </summary>
public sealed partial class OverdueSweeper(
    IDocumentStore store,
    ReviewActions actions,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    ILogger<OverdueSweeper> logger)
{
    /// <summary>Returns the tasks that were expired by this run.</summary>
    public async Task<IReadOnlyList<ReviewTaskRecord>> RunAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return [];
        var now = time.GetUtcNow();
        var overdue = (await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.ReviewTask, GovernanceJsonContext.Default.ReviewTaskRecord, cancellationToken))
            .Where(t => t.Record.State == ReviewStates.Open && t.Record.DueAt <= now).ToList();
        var expired = new List<ReviewTaskRecord>();
        foreach (var (_, task) in overdue)
        {
            var result = await actions.ExpireAsync(tenantId, task.Id, cancellationToken);
            if (result.Status == ReviewActionStatus.Done)
            {
                expired.Add(result.Task!);
                LogExpired(logger, tenantId, task.Id, task.AgentId, options.Value.OverdueAction.ToString());
            }
        }
        return expired;
    }

    [LoggerMessage(EventId = 9040, Level = LogLevel.Warning, Message = "Review task {TaskId} (agent {AgentId}, tenant {TenantId}) was overdue: {Action} applied")]
    private static partial void LogExpired(ILogger logger, string tenantId, string taskId, string agentId, string action);
}
