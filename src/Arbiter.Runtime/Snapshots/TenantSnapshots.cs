using System.Collections.Concurrent;
using System.Collections.Immutable;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots;

/// <summary>A snapshot ready for decisions, or why there is none (then decisions fail closed).</summary>
public readonly record struct SnapshotLease(PolicySnapshot? Snapshot, string? Failure);

/// <summary>
/// The state of one tenant's snapshot, for health and metrics. <see cref="LoadedFrom"/>: how the first load read the
/// tenant ("store": every document; "checkpoint": a snapshot checkpoint and the change feed after it; empty until
/// loaded); <see cref="CheckpointFallback"/>: why a checkpoint was not used for it; <see cref="CheckpointAt"/>: when the
/// checkpoint it loaded from or last wrote was written; <see cref="CheckpointError"/>: why the last checkpoint write failed.
/// </summary>
public sealed record SnapshotStatus(string TenantId, string Version, DateTimeOffset? LastRefreshed, double AgeSeconds, bool Stale, string StoreState, string? LastError,
    string LoadedFrom = "", string? CheckpointFallback = null, DateTimeOffset? CheckpointAt = null, string? CheckpointError = null);

/// <summary>
/// Holds each tenant's current snapshot and keeps it fresh from the store's change feed. Loading takes the change
/// cursor first and lists second, so nothing committed in between is missed (changes are applied idempotently).
/// When the store cannot be read for longer than <see cref="SnapshotOptions.MaxStaleness"/>, decisions fail closed
/// and recover by themselves at the next successful read.
/// <para>A tenant is kept only when the store holds something of it (or it is configured in <c>Snapshot:Tenants</c>):
/// a token naming a tenant nobody set up is denied at once and remembered for a while as unknown, in a bounded set, so
/// arbitrary <c>tid</c> values cannot make this instance track and refresh them. A first load that fails is not retried
/// by the decisions that need it — they deny at once with the reason — but by the refresher, with exponential backoff.</para>
/// <para>With snapshot checkpoints (<see cref="SnapshotCheckpoints"/>) a first load reads the tenant's checkpoint and the
/// change feed after its cursor instead of every document, and serves nothing until that tail is applied; any problem
/// with the checkpoint (missing, too old, damaged, its cursor unreadable, not this store's) falls back to the full read and
/// is reported.
/// The documents the snapshot is built from are then kept beside it, so that <see cref="WriteCheckpointsAsync"/> can write
/// them with the cursor they are consistent with.</para>
/// </summary>
public sealed partial class TenantSnapshots(
    IDocumentStore store,
    IChangeFeed changes,
    IOptions<SnapshotOptions> options,
    TimeProvider time,
    ILogger<TenantSnapshots> logger,
    SnapshotCheckpoints? checkpoints = null)
{
    /// <summary><see cref="SnapshotStatus.LoadedFrom"/> values.</summary>
    public const string FromStore = "store";
    public const string FromCheckpoint = "checkpoint";

    /// <summary>What a cold load reads: every directory kind (the settings document included) and the policies.</summary>
    private static readonly string[] SourceKinds = [.. DocumentKinds.Directory.Order(StringComparer.Ordinal), DocumentKinds.Policy];

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
        /// <summary>The source documents the snapshot is built from (only with checkpoints on), consistent with <see cref="Cursor"/>.</summary>
        public ImmutableDictionary<string, CheckpointDocument>? Inputs;
        public string LoadedFrom = "";
        public string? CheckpointFallback;
        public DateTimeOffset? CheckpointAt;
        public string? CheckpointError;
        /// <summary>The snapshot version the stored checkpoint is known to hold (written or found by this instance).</summary>
        public long? Checkpointed;
    }

    /// <summary>A snapshot with the change-feed position it is consistent with (and its inputs, with checkpoints on).</summary>
    private readonly record struct Progress(PolicySnapshot Snapshot, string Cursor, ImmutableDictionary<string, CheckpointDocument>? Inputs);

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
            // A load from a checkpoint has just read the change feed up to now; a full read starts from its cursor.
            var caughtUp = entry.Snapshot is null && await LoadAsync(tenantId, entry, cancellationToken);
            if (!caughtUp)
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
                t.Value.LastError is null ? "ok" : "unavailable", t.Value.LastError,
                t.Value.LoadedFrom, t.Value.CheckpointFallback, t.Value.CheckpointAt, t.Value.CheckpointError);
        })];
    }

    /// <summary>The first load: from the checkpoint and its tail when there is a usable one (true: caught up), else every document.</summary>
    private async Task<bool> LoadAsync(string tenantId, Entry entry, CancellationToken cancellationToken)
    {
        string? fallback = null;
        Task<string>? fallbackCursor = null;
        if (checkpoints is not null)
        {
            // The full read's cursor is taken while the checkpoint is read: the store's first use (its connection, the
            // SDK's metadata) overlaps the blob read instead of following it, and a full read after an unusable checkpoint
            // has its cursor already, taken before it lists as it must be.
            fallbackCursor = Task.Run(() => changes.GetCurrentCursorAsync(tenantId, cancellationToken), cancellationToken);
            var load = await checkpoints.TryLoadAsync(tenantId, cancellationToken);
            fallback = load.Checkpoint is { } checkpoint
                ? await LoadCheckpointAsync(tenantId, entry, checkpoint, load.Bytes, cancellationToken)
                : load.Problem;
            if (fallback is null)
            {
                // Not needed: its failure, if any, is observed without waiting for it.
                _ = CheckpointTail.ObserveAsync(fallbackCursor);
                return true;
            }
            LogCheckpointNotUsed(logger, tenantId, fallback);
        }
        var cursor = fallbackCursor is not null ? await fallbackCursor : await changes.GetCurrentCursorAsync(tenantId, cancellationToken);
        var stored = new List<StoredDocument>();
        foreach (var kind in SourceKinds)
        {
            await foreach (var d in store.ListAllAsync(tenantId, kind, options.Value.PageSize, cancellationToken))
                stored.Add(d);
        }
        var documents = stored.ConvertAll(d => new SourceChange(d.Kind, d.Id, d.Body));
        var snapshot = PolicySnapshot.Build(tenantId, TenantState.Empty.Apply(documents), 1, time);
        entry.Cursor = cursor;
        entry.Inputs = checkpoints is null ? null : Track(ImmutableDictionary.Create<string, CheckpointDocument>(StringComparer.Ordinal), stored);
        entry.LoadedFrom = FromStore;
        entry.CheckpointFallback = fallback;
        entry.Snapshot = snapshot;
        entry.LastSuccess = time.GetUtcNow(); // servable from now on: the store was just read in full
        LogLoaded(logger, tenantId, documents.Count, snapshot.BuildTime.TotalMilliseconds);
        return false;
    }

    /// <summary>
    /// Builds the snapshot from the checkpoint and applies the change feed after its cursor, all before anything is served
    /// (a snapshot without its tail could grant what was revoked since). Null when loaded, else why it was not.
    /// The first batches of the tail and the store read that confirms the checkpoint are I/O that needs only the cursor and
    /// the checkpoint's documents, so they are started first and run while this thread parses and compiles.
    /// </summary>
    private async Task<string?> LoadCheckpointAsync(string tenantId, Entry entry, SnapshotCheckpoint checkpoint, int bytes, CancellationToken cancellationToken)
    {
        using var overlap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tailRead = CheckpointTail.PrefetchAsync(changes, tenantId, checkpoint.Cursor, overlap.Token);
        var anchor = CheckpointAnchor.First(checkpoint.Documents);
        var anchorRead = anchor is { } a ? CheckpointAnchor.ReadAsync(store, tenantId, a, overlap.Token) : null;
        Progress progress;
        var built = false;
        try
        {
            var state = TenantState.Empty.Apply(CheckpointBodies.Parse([.. checkpoint.Documents.Values], overlap.Token));
            if (state.Fingerprint != checkpoint.Fingerprint)
                return $"the checkpoint's documents give version {PolicySnapshot.VersionName(state.Fingerprint)}, not the {PolicySnapshot.VersionName(checkpoint.Fingerprint)} it records";
            progress = new Progress(PolicySnapshot.Build(tenantId, state, 1, time), checkpoint.Cursor, checkpoint.Documents);
            built = true;
        }
        finally
        {
            if (!built)
            {
                // Not used: the reads started for it are abandoned, their outcome observed so none goes unobserved.
                await overlap.CancelAsync();
                await CheckpointTail.ObserveAsync(tailRead);
                await CheckpointTail.ObserveAsync(anchorRead);
            }
        }
        var tail = 0;
        try
        {
            var caughtUp = false;
            foreach (var batch in await tailRead)
            {
                (progress, var applied, caughtUp) = ApplyBatch(tenantId, progress, batch);
                tail += applied;
            }
            while (!caughtUp)
            {
                (progress, var applied, caughtUp) = await ReadBatchAsync(tenantId, progress, cancellationToken);
                tail += applied;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await CheckpointTail.ObserveAsync(anchorRead);
            // Not this store's cursor, or one it can no longer read from: the full read says whether the store is up.
            return "the change feed could not be read from the checkpoint's cursor: " + Describe(e);
        }
        if (await AnchorMismatchAsync(tenantId, checkpoint.Documents, progress.Inputs!, anchor, anchorRead, cancellationToken) is { } mismatch)
            return mismatch;
        entry.Cursor = progress.Cursor;
        entry.Inputs = progress.Inputs;
        entry.LoadedFrom = FromCheckpoint;
        entry.CheckpointFallback = null;
        entry.CheckpointAt = checkpoint.WrittenAt;
        entry.Checkpointed = checkpoint.Fingerprint;
        entry.Snapshot = progress.Snapshot;
        entry.LastSuccess = time.GetUtcNow();
        LogLoadedFromCheckpoint(logger, tenantId, checkpoint.Documents.Count, bytes, tail, progress.Snapshot.VersionText);
        return null;
    }

    /// <summary>
    /// A cursor is only a position: in a store that was replaced, it may read nothing or only that store's own writes, and
    /// the checkpoint's other documents would be served as if current. So one document the tail left as the checkpoint
    /// had it (the first by key) is read from the store, which must hold that very version (ETag); when the tail
    /// rewrote every document, nothing of the checkpoint is left to check. The first document by key was read while the
    /// snapshot was built (<paramref name="early"/>); that read counts when the tail left that document alone (a write to it
    /// after the tail only makes the ETags differ: a full read, never a wrong snapshot).
    /// </summary>
    private async Task<string?> AnchorMismatchAsync(string tenantId, ImmutableDictionary<string, CheckpointDocument> checkpointed,
        ImmutableDictionary<string, CheckpointDocument> current, CheckpointDocument? first, Task<StoredDocument?>? early, CancellationToken cancellationToken)
    {
        CheckpointDocument? anchor = null;
        if (first is { } f && current.TryGetValue(CheckpointDocument.Key(f.Kind, f.Id), out var now) && now.ETag == f.ETag)
            anchor = f;
        else
        {
            await CheckpointTail.ObserveAsync(early);
            early = null;
            string? anchorKey = null;
            foreach (var (key, document) in checkpointed)
            {
                if (current.TryGetValue(key, out now) && now.ETag == document.ETag && (anchorKey is null || string.CompareOrdinal(key, anchorKey) < 0))
                    (anchor, anchorKey) = (document, key);
            }
        }
        if (anchor is not { } expected)
            return null;
        StoredDocument? stored;
        try
        {
            stored = early is not null ? await early : await store.GetAsync(tenantId, expected.Kind, expected.Id, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return "the store could not confirm the checkpoint: " + Describe(e);
        }
        return stored?.ETag == expected.ETag
            ? null
            : $"the store does not hold the checkpoint's version of {expected.Kind} '{expected.Id}' (a different or restored store)";
    }

    private async Task ApplyChangesAsync(string tenantId, Entry entry, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (next, _, caughtUp) = await ReadBatchAsync(tenantId, new Progress(entry.Snapshot!, entry.Cursor!, entry.Inputs), cancellationToken);
            entry.Cursor = next.Cursor;
            entry.Inputs = next.Inputs;
            entry.Snapshot = next.Snapshot;
            if (caughtUp)
                return;
        }
    }

    /// <summary>One batch of the change feed after <paramref name="from"/>, applied.</summary>
    private async Task<(Progress Next, int Applied, bool CaughtUp)> ReadBatchAsync(string tenantId, Progress from, CancellationToken cancellationToken) =>
        ApplyBatch(tenantId, from, await changes.ReadAsync(tenantId, from.Cursor, CheckpointTail.BatchSize, cancellationToken));

    private (Progress Next, int Applied, bool CaughtUp) ApplyBatch(string tenantId, Progress from, ChangeBatch batch)
    {
        var changed = batch.Changes.Where(c => Engine.Snapshots.SourceKinds.IsSource(c.Kind)).ToList();
        var relevant = changed.ConvertAll(c => new SourceChange(c.Kind, c.Id, c.Deleted ? null : c.Body));
        var snapshot = from.Snapshot;
        var inputs = from.Inputs;
        if (relevant.Count > 0)
        {
            snapshot = snapshot.Apply(relevant, snapshot.Generation + 1);
            inputs = inputs is null ? null : Track(inputs, changed);
            LogApplied(logger, tenantId, relevant.Count, snapshot.VersionText);
        }
        return (new Progress(snapshot, batch.Cursor, inputs), relevant.Count, batch.Changes.Count == 0);
    }

    private static ImmutableDictionary<string, CheckpointDocument> Track(ImmutableDictionary<string, CheckpointDocument> inputs, IEnumerable<StoredDocument> applied)
    {
        var builder = inputs.ToBuilder();
        foreach (var document in applied)
        {
            var key = CheckpointDocument.Key(document.Kind, document.Id);
            if (document.Deleted)
                builder.Remove(key);
            else
                builder[key] = CheckpointDocument.Of(document.Kind, document.Id, document.ETag, document.Body);
        }
        return builder.ToImmutable();
    }

    /// <summary>
    /// Writes the checkpoint of every loaded tenant whose snapshot changed since the stored one (see
    /// <see cref="SnapshotCheckpoints.WriteIfChangedAsync"/>); one tenant's failure is recorded and does not stop the others.
    /// </summary>
    public async Task WriteCheckpointsAsync(CancellationToken cancellationToken)
    {
        if (checkpoints is null)
            return;
        foreach (var (tenant, entry) in _tenants)
        {
            string cursor;
            long version;
            ImmutableDictionary<string, CheckpointDocument> inputs;
            // The three are taken together under the gate: the inputs are exactly those of the cursor.
            await entry.Gate.WaitAsync(cancellationToken);
            try
            {
                if (entry.Snapshot is null || entry.Inputs is null || entry.Cursor is null || entry.Checkpointed == entry.Snapshot.Version)
                    continue;
                (cursor, version, inputs) = (entry.Cursor, entry.Snapshot.Version, entry.Inputs);
            }
            finally
            {
                entry.Gate.Release();
            }
            try
            {
                var written = await checkpoints.WriteIfChangedAsync(tenant, cursor, version, inputs, cancellationToken);
                entry.CheckpointError = null;
                if (written is CheckpointWrite.Written or CheckpointWrite.Unchanged)
                    entry.Checkpointed = version;
                if (written == CheckpointWrite.Written)
                    entry.CheckpointAt = time.GetUtcNow();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                entry.CheckpointError = Describe(e);
                LogCheckpointWriteFailed(logger, tenant, entry.CheckpointError);
            }
        }
    }

    private static string Describe(Exception e) => e is StoreException ? e.Message : e.GetType().Name + ": " + e.Message;

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Loaded tenant {TenantId}: {Documents} documents, compiled in {BuildMs} ms")]
    private static partial void LogLoaded(ILogger logger, string tenantId, int documents, double buildMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Applied {Changes} changes to tenant {TenantId}: snapshot version {Version}")]
    private static partial void LogApplied(ILogger logger, string tenantId, int changes, string version);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Snapshot refresh of tenant {TenantId} failed: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string tenantId, string error);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Loaded tenant {TenantId} from its snapshot checkpoint: {Documents} documents in {Bytes} bytes, then {Tail} changes from the change feed; snapshot version {Version}")]
    private static partial void LogLoadedFromCheckpoint(ILogger logger, string tenantId, int documents, int bytes, int tail, string version);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Snapshot checkpoint of tenant {TenantId} not used ({Reason}); reading every document instead")]
    private static partial void LogCheckpointNotUsed(ILogger logger, string tenantId, string reason);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Snapshot checkpoint of tenant {TenantId} could not be written: {Error}")]
    private static partial void LogCheckpointWriteFailed(ILogger logger, string tenantId, string error);
}
