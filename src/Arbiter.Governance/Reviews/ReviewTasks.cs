using System.Text;
using Arbiter.Governance.Entitlements;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// Opens review tasks (one open task per agent; new findings join it) and announces them on the queue. A task is
/// written before it is announced and marked <c>announcedAt</c> after: when the queue is unreachable the task stays
/// unannounced and the next run announces it (at least once; <see cref="ReviewDelivery"/> is idempotent).
/// </summary>
public sealed partial class ReviewTasks(
    IDocumentStore store,
    ReviewQueue queue,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    ILogger<ReviewTasks> logger)
{
    public const string System = "system:governance";

    internal async Task<Dictionary<string, (StoredDocument Document, ReviewTaskRecord Record)>> OpenTasksByAgentAsync(string tenantId, CancellationToken cancellationToken)
    {
        var all = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.ReviewTask, GovernanceJsonContext.Default.ReviewTaskRecord, cancellationToken);
        var result = new Dictionary<string, (StoredDocument, ReviewTaskRecord)>(StringComparer.Ordinal);
        foreach (var (document, record) in all.Where(t => t.Record.State == ReviewStates.Open).OrderBy(t => t.Record.OpenedAt))
            result.TryAdd(record.AgentId, (document, record));
        return result;
    }

    /// <summary>
    /// Attaches <paramref name="findingIds"/> to the agent's open task, or opens one (reviewers = sponsors + owner, due
    /// in <see cref="GovernanceOptions.ReviewDueDays"/> days, the diff baseline → now). Returns null when a concurrent
    /// writer changed the task (the next run attaches again).
    /// </summary>
    internal async Task<(ReviewTaskRecord? Task, bool Created)> OpenOrAttachAsync(string tenantId, AgentEntitlements now, BaselineRecord baseline,
        IReadOnlyList<string> findingIds, string reason, (StoredDocument Document, ReviewTaskRecord Record)? open, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var diff = EntitlementDiff.Between(baseline.Entitlements, now);
        if (open is { } existing)
        {
            var added = findingIds.Except(existing.Record.Findings, StringComparer.Ordinal).ToList();
            if (added.Count == 0 && SameDiff(existing.Record.Diff, diff))
                return (existing.Record, false);
            var updated = existing.Record with
            {
                Findings = [.. existing.Record.Findings.Concat(added)],
                Diff = diff,
                History = [.. existing.Record.History, new ReviewHistoryEntry(at, System, "attach",
                    added.Count > 0 ? $"{added.Count} new finding(s) joined the task" : "the diff from the baseline changed")],
            };
            try
            {
                await store.PutAsync(tenantId, DocumentKinds.ReviewTask, updated.Id, GovernanceDocuments.ToElement(updated, GovernanceJsonContext.Default.ReviewTaskRecord), existing.Document.ETag, cancellationToken);
                return (updated, false);
            }
            catch (PreconditionFailedException)
            {
                return (null, false);
            }
        }

        var reviewers = new List<string>(now.Sponsors.Select(s => s.Id));
        if (now.Owner is { } owner)
            reviewers.Add(owner.Id);
        var task = new ReviewTaskRecord
        {
            Id = NewId(now.AgentId, at),
            AgentId = now.AgentId,
            AgentName = now.DisplayName,
            Owner = now.Owner?.Id,
            Reviewers = [.. reviewers.Distinct(StringComparer.Ordinal)],
            Reason = reason,
            State = ReviewStates.Open,
            OpenedAt = at,
            DueAt = at.AddDays(options.Value.ReviewDueDays),
            Findings = [.. findingIds],
            Diff = diff,
            History = [new ReviewHistoryEntry(at, System, "open", reason == Drift.ReviewReasons.Periodic
                ? $"periodic recertification (every {options.Value.PeriodicReviewDays} days)"
                : $"{findingIds.Count} finding(s) at or above {options.Value.ReviewSeverity}")],
        };
        await store.PutAsync(tenantId, DocumentKinds.ReviewTask, task.Id, GovernanceDocuments.ToElement(task, GovernanceJsonContext.Default.ReviewTaskRecord), null, cancellationToken);
        LogOpened(logger, tenantId, task.Id, now.AgentId, reason);
        return (task, true);
    }

    /// <summary>Announces every open task not announced yet. Returns how many were sent.</summary>
    public async Task<int> AnnouncePendingAsync(string tenantId, CancellationToken cancellationToken)
    {
        var sent = 0;
        var all = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.ReviewTask, GovernanceJsonContext.Default.ReviewTaskRecord, cancellationToken);
        foreach (var (document, task) in all.Where(t => t.Record.State == ReviewStates.Open && t.Record.AnnouncedAt is null))
        {
            try
            {
                await queue.SendAsync(new ReviewMessage(tenantId, task.Id, task.AgentId, task.Reviewers, task.DueAt, task.Reason, task.Findings.Count), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAnnounceFailed(logger, tenantId, task.Id, e.GetType().Name);
                continue;
            }
            var at = time.GetUtcNow();
            var announced = task with
            {
                AnnouncedAt = at,
                History = [.. task.History, new ReviewHistoryEntry(at, System, "announce", $"announced on queue '{options.Value.ReviewQueue}'")],
            };
            try
            {
                await store.PutAsync(tenantId, DocumentKinds.ReviewTask, task.Id, GovernanceDocuments.ToElement(announced, GovernanceJsonContext.Default.ReviewTaskRecord), document.ETag, cancellationToken);
            }
            catch (PreconditionFailedException)
            {
                // Changed meanwhile (e.g. delivered or answered): the message went out; the record of it is best effort.
            }
            sent++;
        }
        return sent;
    }

    private static bool SameDiff(EntitlementDiff a, EntitlementDiff b) =>
        global::System.Text.Json.JsonSerializer.Serialize(a, GovernanceJsonContext.Default.EntitlementDiff) == global::System.Text.Json.JsonSerializer.Serialize(b, GovernanceJsonContext.Default.EntitlementDiff);

    private static string NewId(string agentId, DateTimeOffset at)
    {
        var safe = new StringBuilder(agentId.Length);
        foreach (var c in agentId.Length > 64 ? agentId[..64] : agentId)
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return $"rt-{safe}-{at.UtcDateTime:yyyyMMddHHmmssfff}";
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Information, Message = "Review task {TaskId} opened for agent {AgentId} of tenant {TenantId} ({Reason})")]
    private static partial void LogOpened(ILogger logger, string tenantId, string taskId, string agentId, string reason);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Warning, Message = "Review task {TaskId} of tenant {TenantId} could not be announced ({ErrorType}); the next run retries")]
    private static partial void LogAnnounceFailed(ILogger logger, string tenantId, string taskId, string errorType);
}
