using System.Collections.Concurrent;
using Arbiter.Engine.Snapshots;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots;

/// <summary>A snapshot ready for decisions, or why there is none (then decisions fail closed).</summary>
public readonly record struct SnapshotLease(PolicySnapshot? Snapshot, string? Failure);

/// <summary>The state of one tenant's snapshot, for health and metrics.</summary>
public sealed record SnapshotStatus(string TenantId, string Version, DateTimeOffset? LastRefreshed, double AgeSeconds, bool Stale, string StoreState, string? LastError);

/// <summary>
/// Holds each tenant's current snapshot and keeps it fresh from the store's change feed. Loading takes the change
/// cursor first and lists second, so nothing committed in between is missed (changes are applied idempotently).
/// When the store cannot be read for longer than <see cref="SnapshotOptions.MaxStaleness"/>, decisions fail closed
/// and recover by themselves at the next successful read.
/// <para>A tenant is kept only when the store holds something of it (or it is configured in <c>Snapshot:Tenants</c>):
/// a token naming a tenant nobody set up is denied at once and remembered for a while as unknown, in a bounded set, so
/// arbitrary <c>tid</c> values cannot make this instance track and refresh them. A first load that fails is not retried
/// by the decisions that need it — they deny at once with the reason — but by the refresher, with exponential backoff.</para>
/// </summary>
public sealed partial class TenantSnapshots(
    IDocumentStore store,
    IChangeFeed changes,
    IOptions<SnapshotOptions> options,
    TimeProvider time,
    ILogger<TenantSnapshots> logger)
{
    private static readonly string[] SourceKinds =
        [DocumentKinds.User, DocumentKinds.Group, DocumentKinds.Agent, DocumentKinds.McpServer, DocumentKinds.Tool, DocumentKinds.DataResource, DocumentKinds.Policy];

    private readonly ConcurrentDictionary<string, Entry> _tenants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, PolicySnapshot Empty)> _unknown = new(StringComparer.Ordinal);
    private readonly Lock _probeGate = new();
    private int _probeFailures;
    private DateTimeOffset _probeRetryAt;
    private string? _probeError;

    private sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public volatile PolicySnapshot? Snapshot;
        public string? Cursor;
        public DateTimeOffset? LastSuccess;
        public string? LastError;
        public int Failures;
        public DateTimeOffset NextAttempt;
    }

    public IReadOnlyCollection<string> Tenants => [.. _tenants.Keys];

    /// <summary>The tenant's snapshot for a decision: loads it on first use; refuses one older than the staleness bound.</summary>
    public async ValueTask<SnapshotLease> GetAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (!_tenants.TryGetValue(tenantId, out var entry))
        {
            if (_unknown.TryGetValue(tenantId, out var unknown) && unknown.Until > time.GetUtcNow())
                return new SnapshotLease(unknown.Empty, null);
            // While the store is failing, a tenant not yet known is denied at once instead of asking the store again
            // (with backoff), so neither decisions nor an unbounded set of tenants wait on a broken store.
            lock (_probeGate)
            {
                if (_probeFailures > 0 && _probeRetryAt > time.GetUtcNow())
                    return new SnapshotLease(null, $"the policy snapshot of tenant '{tenantId}' could not be loaded: {_probeError}");
            }
            bool exists;
            try
            {
                exists = await ExistsAsync(tenantId, cancellationToken);
                lock (_probeGate)
                    _probeFailures = 0;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lock (_probeGate)
                {
                    _probeFailures++;
                    _probeRetryAt = time.GetUtcNow() + Backoff(_probeFailures);
                    _probeError = Describe(e);
                }
                return new SnapshotLease(null, $"the policy snapshot of tenant '{tenantId}' could not be loaded: {Describe(e)}");
            }
            if (!exists)
                return new SnapshotLease(RememberUnknown(tenantId), null);
            entry = _tenants.GetOrAdd(tenantId, _ => new Entry());
        }
        if (entry.Snapshot is null)
        {
            // Only the first attempt is made on the decision path; after a failure the refresher retries with backoff.
            if (entry.Failures > 0)
                return new SnapshotLease(null, $"the policy snapshot of tenant '{tenantId}' is not loaded: {entry.LastError}");
            try
            {
                await LoadForDecisionAsync(tenantId, entry, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new SnapshotLease(null, $"the policy snapshot of tenant '{tenantId}' could not be loaded: {Describe(e)}");
            }
        }
        var snapshot = entry.Snapshot;
        if (snapshot is null)
            return new SnapshotLease(null, $"the policy snapshot of tenant '{tenantId}' is not loaded: {entry.LastError}");
        var age = time.GetUtcNow() - (entry.LastSuccess ?? DateTimeOffset.MinValue);
        if (age > options.Value.MaxStaleness)
            return new SnapshotLease(null, $"the policy snapshot is stale: the store was last read {age.TotalSeconds:F0}s ago (limit {options.Value.MaxStaleness.TotalSeconds:F0}s); last error: {entry.LastError ?? "none"}");
        return new SnapshotLease(snapshot, null);
    }

    /// <summary>Loads the tenant (first time) or applies the changes since the last read. Throws when the store fails.</summary>
    public async Task RefreshAsync(string tenantId, CancellationToken cancellationToken)
    {
        _unknown.TryRemove(tenantId, out _);
        var entry = _tenants.GetOrAdd(tenantId, _ => new Entry());
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (entry.Snapshot is null)
                await LoadAsync(tenantId, entry, cancellationToken);
            await ApplyChangesAsync(tenantId, entry, cancellationToken);
            entry.LastSuccess = time.GetUtcNow();
            entry.LastError = null;
            entry.Failures = 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            entry.LastError = Describe(e);
            entry.Failures++;
            entry.NextAttempt = time.GetUtcNow() + Backoff(entry.Failures);
            LogRefreshFailed(logger, tenantId, entry.LastError);
            throw;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>
    /// The first load, on behalf of a decision: decisions that arrive while a load is under way wait for it, and if it
    /// failed they do not try again themselves (the refresher does, with backoff).
    /// </summary>
    private async Task LoadForDecisionAsync(string tenantId, Entry entry, CancellationToken cancellationToken)
    {
        await entry.Gate.WaitAsync(cancellationToken);
        var attempt = entry.Snapshot is null && entry.Failures == 0;
        entry.Gate.Release();
        if (attempt)
            await RefreshAsync(tenantId, cancellationToken);
    }

    /// <summary>After a write this instance made: refresh now; on failure the refresher catches up (decisions stay closed meanwhile).</summary>
    public async Task RefreshQuietlyAsync(string tenantId, CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(tenantId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The write is committed; the refresher will pick it up. Decisions fail closed if the store stays unreadable.
        }
    }

    /// <summary>
    /// Refreshes every known tenant; one tenant's failure does not stop the others. A tenant whose first load failed is
    /// retried only once its backoff has passed (1 s doubling to 60 s), so a broken store is not hammered; a loaded
    /// tenant keeps reading its change feed at the refresh interval.
    /// </summary>
    public async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (tenant, entry) in _tenants)
        {
            if (entry.Snapshot is null && entry.Failures > 0 && entry.NextAttempt > now)
                continue;
            try
            {
                await RefreshAsync(tenant, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Recorded in the entry; decisions fail closed once the staleness bound passes. A store timeout surfacing
                // as a cancellation must not end the refresher either: only shutdown does.
            }
        }
    }

    /// <summary>A configured tenant: kept and loaded even while the store holds nothing of it.</summary>
    public void Track(string tenantId) => _tenants.GetOrAdd(tenantId, _ => new Entry());

    internal static TimeSpan Backoff(int failures) =>
        TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(failures - 1, 6))));

    private async Task<bool> ExistsAsync(string tenantId, CancellationToken cancellationToken)
    {
        foreach (var kind in SourceKinds)
        {
            var page = await store.ListAsync(tenantId, kind, null, 1, false, cancellationToken);
            if (page.Items.Count > 0)
                return true;
        }
        return false;
    }

    /// <summary>
    /// An unknown tenant decides on an empty snapshot (every user, agent and resource unknown: a deny with that reason;
    /// searches find nothing), remembered for a while but never tracked or refreshed.
    /// </summary>
    private PolicySnapshot RememberUnknown(string tenantId)
    {
        // Bounded: a flood of invented tenants costs at most this many entries; past it the set starts over.
        if (_unknown.Count >= options.Value.MaxUnknownTenants)
            _unknown.Clear();
        var empty = PolicySnapshot.Build(tenantId, TenantState.Empty, 0, time);
        _unknown[tenantId] = (time.GetUtcNow() + options.Value.UnknownTenantTtl, empty);
        return empty;
    }

    public IReadOnlyList<SnapshotStatus> Status()
    {
        var now = time.GetUtcNow();
        return [.. _tenants.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t =>
        {
            var age = t.Value.LastSuccess is { } at ? (now - at).TotalSeconds : double.PositiveInfinity;
            var stale = age > options.Value.MaxStaleness.TotalSeconds;
            return new SnapshotStatus(t.Key, t.Value.Snapshot?.VersionText ?? "", t.Value.LastSuccess, double.IsInfinity(age) ? -1 : Math.Round(age, 3), stale,
                t.Value.LastError is null ? "ok" : "unavailable", t.Value.LastError);
        })];
    }

    private async Task LoadAsync(string tenantId, Entry entry, CancellationToken cancellationToken)
    {
        var cursor = await changes.GetCurrentCursorAsync(tenantId, cancellationToken);
        var documents = new List<SourceChange>();
        foreach (var kind in SourceKinds)
        {
            await foreach (var d in store.ListAllAsync(tenantId, kind, options.Value.PageSize, cancellationToken))
                documents.Add(new SourceChange(d.Kind, d.Id, d.Body));
        }
        var snapshot = PolicySnapshot.Build(tenantId, TenantState.Empty.Apply(documents), 1, time);
        entry.Cursor = cursor;
        entry.Snapshot = snapshot;
        entry.LastSuccess = time.GetUtcNow(); // servable from now on: the store was just read in full
        LogLoaded(logger, tenantId, documents.Count, snapshot.BuildTime.TotalMilliseconds);
    }

    private async Task ApplyChangesAsync(string tenantId, Entry entry, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await changes.ReadAsync(tenantId, entry.Cursor!, 1000, cancellationToken);
            entry.Cursor = batch.Cursor;
            var relevant = batch.Changes.Where(c => Engine.Snapshots.SourceKinds.IsSource(c.Kind))
                .Select(c => new SourceChange(c.Kind, c.Id, c.Deleted ? null : c.Body))
                .ToList();
            if (relevant.Count > 0)
            {
                var current = entry.Snapshot!;
                entry.Snapshot = current.Apply(relevant, current.Generation + 1);
                LogApplied(logger, tenantId, relevant.Count, entry.Snapshot.VersionText);
            }
            if (batch.Changes.Count == 0)
                return;
        }
    }

    private static string Describe(Exception e) => e is StoreException ? e.Message : e.GetType().Name + ": " + e.Message;

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Loaded tenant {TenantId}: {Documents} documents, compiled in {BuildMs} ms")]
    private static partial void LogLoaded(ILogger logger, string tenantId, int documents, double buildMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Applied {Changes} changes to tenant {TenantId}: snapshot version {Version}")]
    private static partial void LogApplied(ILogger logger, string tenantId, int changes, string version);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Snapshot refresh of tenant {TenantId} failed: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string tenantId, string error);
}
