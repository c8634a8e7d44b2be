using Arbiter.Governance.Drift;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// Periodic recertification: an agent whose last certification or review is <see cref="GovernanceOptions.PeriodicReviewDays"/>
/// old gets a review task (unless one is open, or the agent is suspended or gone). Run it from a daily timer.
/// </summary>
public sealed partial class ReviewScheduler(
    IDocumentStore store,
    DriftDetector detector,
    Entitlements.EntitlementCalculator calculator,
    ReviewTasks tasks,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    ILogger<ReviewScheduler> logger)
{
    /// <summary>Opens the reviews that are due; returns how many were opened.</summary>
    public async Task<int> OpenPeriodicReviewsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled || o.PeriodicReviewDays == 0)
            return 0;
        var now = time.GetUtcNow();
        var baselines = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.Baseline, GovernanceJsonContext.Default.BaselineRecord, cancellationToken);
        var due = baselines.Where(b => Later(b.Record.ApprovedAt, b.Record.LastReviewedAt).AddDays(o.PeriodicReviewDays) <= now).ToList();
        if (due.Count == 0)
            return 0;
        var open = await tasks.OpenTasksByAgentAsync(tenantId, cancellationToken);
        var snapshot = await detector.CurrentSnapshotAsync(tenantId, cancellationToken);
        var opened = 0;
        foreach (var (_, baseline) in due)
        {
            if (open.ContainsKey(baseline.AgentId))
                continue;
            var entitlements = calculator.Compute(snapshot, baseline.AgentId, o.MaxUserClasses);
            if (entitlements is null || entitlements.Suspended)
                continue;
            var (task, created) = await tasks.OpenOrAttachAsync(tenantId, entitlements, baseline, [], ReviewReasons.Periodic, null, cancellationToken);
            if (created)
            {
                opened++;
                LogPeriodic(logger, tenantId, baseline.AgentId, task!.Id);
            }
        }
        await tasks.AnnouncePendingAsync(tenantId, cancellationToken);
        return opened;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset? b) => b is { } x && x > a ? x : a;

    [LoggerMessage(EventId = 9030, Level = LogLevel.Information, Message = "Periodic review {TaskId} opened for agent {AgentId} of tenant {TenantId}")]
    private static partial void LogPeriodic(ILogger logger, string tenantId, string agentId, string taskId);
}
