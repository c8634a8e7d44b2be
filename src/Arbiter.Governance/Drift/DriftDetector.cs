using System.Collections.Concurrent;
using System.Diagnostics;
using Arbiter.Runtime.Snapshots;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Entitlements;
using Arbiter.Governance.Reviews;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Drift;

/// <summary>What one detection run did.</summary>
public sealed record DriftRunResult(
    string TenantId,
    bool Full,
    int ChangesRead,
    IReadOnlyList<string> AgentsRecomputed,
    int FindingsOpened,
    int FindingsResolved,
    int TasksOpened,
    TimeSpan Elapsed)
{
    public static DriftRunResult Disabled(string tenantId) => new(tenantId, false, 0, [], 0, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// Finds entitlement drift, driven by the store's change feed. Each run reads the changes since the persisted cursor
/// (<c>syncState</c> <see cref="CursorId"/>), brings the tenant's snapshot up to date, works out which agents those
/// changes can affect (<see cref="AffectedAgents"/>), recomputes only them, and writes findings idempotently (the id
/// is a hash of agent, kind and subject: the same drift updates one document). The cursor is saved last, so a crash
/// repeats work instead of losing it. The first run (no cursor) checks every agent. An agent seen for the first time
/// is certified as it is ("registration" baseline).
/// </summary>
public sealed partial class DriftDetector(
    IDocumentStore store,
    IChangeFeed feed,
    TenantSnapshots snapshots,
    EntitlementCalculator calculator,
    IAgentActivity activity,
    ReviewTasks tasks,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    ILogger<DriftDetector> logger)
{
    public const string CursorId = "governance:drift";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PolicySnapshot> _previous = new(StringComparer.Ordinal);
    private long _recomputations;

    /// <summary>How many agent entitlements this instance has computed (for tests and metrics).</summary>
    public long Recomputations => Interlocked.Read(ref _recomputations);

    /// <summary>Consumes the change feed since the last run and recomputes the agents the changes can affect.</summary>
    public async Task<DriftRunResult> RunAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return DriftRunResult.Disabled(tenantId);
        var gate = _gates.GetOrAdd(tenantId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var cursorDocument = await store.GetAsync(tenantId, DocumentKinds.SyncState, CursorId, cancellationToken: cancellationToken);
            var saved = GovernanceDocuments.Read(cursorDocument, GovernanceJsonContext.Default.DriftCursor);
            string cursor;
            var changes = new List<StoredDocument>();
            if (saved is null)
                cursor = await feed.GetCurrentCursorAsync(tenantId, cancellationToken);
            else
            {
                cursor = saved.Cursor;
                while (true)
                {
                    var batch = await feed.ReadAsync(tenantId, cursor, 1000, cancellationToken);
                    cursor = batch.Cursor;
                    changes.AddRange(batch.Changes.Where(c => DocumentKinds.FeedsSnapshot(c.Kind)));
                    if (batch.Changes.Count == 0)
                        break;
                }
            }

            var snapshot = await CurrentSnapshotAsync(tenantId, cancellationToken);
            var full = saved is null;
            IReadOnlyCollection<string> agents = full
                ? snapshot.State.Agents.Keys.Order(StringComparer.Ordinal).ToList()
                : AffectedAgents.Of(changes, snapshot, _previous.TryGetValue(tenantId, out var before) ? before : null);
            var result = await RecomputeAsync(tenantId, snapshot, agents, changes.Count, full, started, cancellationToken);

            if (saved is null || saved.Cursor != cursor)
            {
                await store.PutAsync(tenantId, DocumentKinds.SyncState, CursorId,
                    GovernanceDocuments.ToElement(new DriftCursor(cursor, time.GetUtcNow()), GovernanceJsonContext.Default.DriftCursor), "*", cancellationToken);
            }
            _previous[tenantId] = snapshot;
            LogRun(logger, tenantId, changes.Count, result.AgentsRecomputed.Count, result.FindingsOpened, result.FindingsResolved, result.TasksOpened, result.Elapsed.TotalMilliseconds);
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Recomputes the given agents (all when null) now, whatever the change feed says: for the daily timer and after reviewer actions.</summary>
    public async Task<DriftRunResult> RecheckAsync(string tenantId, IReadOnlyCollection<string>? agentIds, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(tenantId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var snapshot = await CurrentSnapshotAsync(tenantId, cancellationToken);
            var agents = agentIds ?? snapshot.State.Agents.Keys.Order(StringComparer.Ordinal).ToList();
            return await RecomputeAsync(tenantId, snapshot, agents, 0, agentIds is null, started, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    internal async Task<PolicySnapshot> CurrentSnapshotAsync(string tenantId, CancellationToken cancellationToken)
    {
        await snapshots.RefreshAsync(tenantId, cancellationToken);
        var lease = await snapshots.GetAsync(tenantId, cancellationToken);
        return lease.Snapshot ?? throw new StoreUnavailableException(lease.Failure ?? $"no snapshot for tenant '{tenantId}'");
    }

    private async Task<DriftRunResult> RecomputeAsync(string tenantId, PolicySnapshot snapshot, IReadOnlyCollection<string> agentIds, int changesRead, bool full,
        long started, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        int opened = 0, resolved = 0, tasksOpened = 0;
        if (agentIds.Count > 0)
        {
            var findings = (await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.Finding, GovernanceJsonContext.Default.FindingRecord, cancellationToken))
                .ToLookup(f => f.Record.AgentId, StringComparer.Ordinal);
            var openTasks = await tasks.OpenTasksByAgentAsync(tenantId, cancellationToken);
            foreach (var agentId in agentIds)
            {
                Interlocked.Increment(ref _recomputations);
                var existing = findings[agentId].ToList();
                var entitlements = calculator.Compute(snapshot, agentId, o.MaxUserClasses);
                if (entitlements is null)
                {
                    foreach (var (document, record) in existing.Where(e => e.Record.State == FindingStates.Open))
                    {
                        await ResolveAsync(tenantId, document, record, "the agent no longer exists", now, cancellationToken);
                        resolved++;
                    }
                    continue;
                }

                var baseline = await BaselineAsync(tenantId, entitlements, now, cancellationToken);
                var lastSeen = o.UnusedDays > 0 ? await activity.LastSeenAsync(tenantId, agentId, cancellationToken) : null;
                var accepted = baseline.AcceptedFindings.ToHashSet(StringComparer.Ordinal);
                var current = new List<(FindingRecord Record, bool New)>();
                foreach (var observation in FindingRules.Evaluate(entitlements, baseline.Entitlements, lastSeen, now, o))
                {
                    var id = FindingKinds.FindingId(agentId, observation.Kind, observation.Subject);
                    if (accepted.Contains(id) || current.Any(c => c.Record.Id == id))
                        continue;
                    var prior = existing.FirstOrDefault(e => e.Record.Id == id).Record;
                    var stillOpen = prior is { State: FindingStates.Open };
                    current.Add((new FindingRecord
                    {
                        Id = id,
                        AgentId = agentId,
                        Owner = entitlements.Owner?.Id,
                        Kind = observation.Kind,
                        Subject = observation.Subject,
                        Severity = Severity(o.SeverityOf(observation.Kind)),
                        State = FindingStates.Open,
                        FirstSeen = stillOpen ? prior!.FirstSeen : now,
                        LastSeen = now,
                        Detail = observation.Detail,
                        TaskId = stillOpen ? prior!.TaskId : null,
                    }, !stillOpen));
                }

                var reviewable = current.Where(c => o.SeverityOf(c.Record.Kind) >= o.ReviewSeverity).Select(c => c.Record.Id).ToList();
                string? taskId = null;
                if (reviewable.Count > 0 && !entitlements.Suspended)
                {
                    var (task, created) = await tasks.OpenOrAttachAsync(tenantId, entitlements, baseline, reviewable, ReviewReasons.Drift,
                        openTasks.TryGetValue(agentId, out var open) ? open : null, cancellationToken);
                    taskId = task?.Id;
                    tasksOpened += created ? 1 : 0;
                }

                foreach (var (record, isNew) in current)
                {
                    var write = taskId is not null && record.TaskId is null && reviewable.Contains(record.Id) ? record with { TaskId = taskId } : record;
                    await store.PutAsync(tenantId, DocumentKinds.Finding, write.Id, GovernanceDocuments.ToElement(write, GovernanceJsonContext.Default.FindingRecord), "*", cancellationToken);
                    if (isNew)
                    {
                        opened++;
                        LogFinding(logger, tenantId, agentId, write.Kind, write.Subject, write.Severity);
                    }
                }
                foreach (var (document, record) in existing.Where(e => e.Record.State == FindingStates.Open && !current.Any(c => c.Record.Id == e.Record.Id)))
                {
                    await ResolveAsync(tenantId, document, record, accepted.Contains(record.Id) ? "accepted at approval" : "no longer observed", now, cancellationToken);
                    resolved++;
                }
            }
        }
        await tasks.AnnouncePendingAsync(tenantId, cancellationToken);
        return new DriftRunResult(tenantId, full, changesRead, [.. agentIds], opened, resolved, tasksOpened, Stopwatch.GetElapsedTime(started));
    }

    private async Task<BaselineRecord> BaselineAsync(string tenantId, AgentEntitlements entitlements, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(tenantId, DocumentKinds.Baseline, entitlements.AgentId, cancellationToken: cancellationToken);
        if (GovernanceDocuments.Read(document, GovernanceJsonContext.Default.BaselineRecord) is { } baseline)
            return baseline;
        var registered = new BaselineRecord
        {
            AgentId = entitlements.AgentId,
            Entitlements = entitlements,
            ApprovedBy = "registration",
            ApprovedAt = now,
            Reason = BaselineReasons.Registration,
        };
        try
        {
            await store.PutAsync(tenantId, DocumentKinds.Baseline, entitlements.AgentId, GovernanceDocuments.ToElement(registered, GovernanceJsonContext.Default.BaselineRecord), null, cancellationToken);
            LogRegistered(logger, tenantId, entitlements.AgentId);
        }
        catch (ConflictException)
        {
            // Someone certified it between our read and write: theirs stands.
            var theirs = await store.GetAsync(tenantId, DocumentKinds.Baseline, entitlements.AgentId, cancellationToken: cancellationToken);
            return GovernanceDocuments.Read(theirs, GovernanceJsonContext.Default.BaselineRecord) ?? registered;
        }
        return registered;
    }

    internal Task ResolveAsync(string tenantId, StoredDocument document, FindingRecord record, string resolution, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.PutAsync(tenantId, DocumentKinds.Finding, record.Id, GovernanceDocuments.ToElement(record with
        {
            State = FindingStates.Resolved,
            ResolvedAt = now,
            Resolution = resolution,
        }, GovernanceJsonContext.Default.FindingRecord), "*", cancellationToken);

    internal static string Severity(FindingSeverity severity) => severity.ToString().ToLowerInvariant();

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Drift run for tenant {TenantId}: {Changes} changes, {Agents} agents recomputed, {Opened} findings opened, {Resolved} resolved, {Tasks} tasks opened in {ElapsedMs} ms")]
    private static partial void LogRun(ILogger logger, string tenantId, int changes, int agents, int opened, int resolved, int tasks, double elapsedMs);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Finding for agent {AgentId} of tenant {TenantId}: {Kind} {Subject} ({Severity})")]
    private static partial void LogFinding(ILogger logger, string tenantId, string agentId, string kind, string subject, string severity);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "Agent {AgentId} of tenant {TenantId} certified at registration")]
    private static partial void LogRegistered(ILogger logger, string tenantId, string agentId);
}

public static class BaselineReasons
{
    public const string Registration = "registration";
    public const string Review = "review";
    public const string Admin = "admin";
}

public static class ReviewReasons
{
    public const string Drift = "drift";
    public const string Periodic = "periodic";
}
