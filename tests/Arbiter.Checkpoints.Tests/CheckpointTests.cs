using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Store;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.Checkpoints.Tests;

/// <summary>
/// Snapshot checkpoints end to end on a real store (<see cref="Backend"/>) and real Blob Storage (Azurite): each "instance"
/// is its own <see cref="TenantSnapshots"/> over the shared store, as separate processes would be; store reads are counted
/// by <see cref="CountingStore"/>. Time is a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>.
/// </summary>
public abstract class CheckpointTests<TBackend> : IClassFixture<TBackend>, IAsyncLifetime
    where TBackend : Backend, new()
{
    private const int Users = 300;
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private static readonly DecisionRequest AliceInvokesHelper = new(new Entity("user", "alice"), "agent.invoke", new Entity("agent", "helper"));
    private static readonly DecisionRequest BobInvokesHelper = new(new Entity("user", "bob"), "agent.invoke", new Entity("agent", "helper"));

    private readonly TBackend _backend;
    private readonly string _tenant = "t-" + Guid.NewGuid().ToString("n")[..12];
    private readonly BlobContainerClient _container;
    private readonly IOptions<SnapshotOptions> _options;

    protected CheckpointTests(TBackend backend)
    {
        _backend = backend;
        var name = "ckpt-" + Guid.NewGuid().ToString("n");
        _container = new BlobServiceClient(Backend.StorageConnectionString).GetBlobContainerClient(name);
        _options = Options.Create(new SnapshotOptions
        {
            MaxStaleness = TimeSpan.FromSeconds(30),
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            PageSize = 100,
            Checkpoint = new CheckpointOptions { Enabled = true, Container = name, MaxAge = MaxAge, Interval = Interval },
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _container.DeleteIfExistsAsync();

    private sealed record Instance(TenantSnapshots Snapshots, CountingStore Reads, CountingCheckpointStore Checkpoints, CapturingLogger<TenantSnapshots> Log);

    private Instance NewInstance(bool checkpoints = true, Backend? backend = null, Func<IChangeFeed, IChangeFeed>? feed = null, Func<ICheckpointStore, ICheckpointStore>? blobStore = null)
    {
        backend ??= _backend;
        var reads = new CountingStore(backend.Store, feed is null ? backend.Feed : feed(backend.Feed));
        var blobs = new CountingCheckpointStore(new BlobCheckpointStore(new BlobServiceClient(Backend.StorageConnectionString), _options));
        var log = new CapturingLogger<TenantSnapshots>();
        var reader = checkpoints ? new SnapshotCheckpoints(blobStore is null ? blobs : blobStore(blobs), _options, _backend.Time, NullLogger<SnapshotCheckpoints>.Instance) : null;
        return new Instance(new TenantSnapshots(reads, reads, _options, _backend.Time, log, reader), reads, blobs, log);
    }

    private async Task SeedAsync()
    {
        await PutAsync(DocumentKinds.User, "alice", """{"enabled":true}""");
        await PutAsync(DocumentKinds.User, "bob", """{"enabled":true}""");
        await PutAsync(DocumentKinds.Agent, "helper", """{"enabled":true,"owner":"alice"}""");
        await PutAsync(DocumentKinds.Policy, "alice-helper", Invoke("alice-helper", "alice"));
        var others = new List<DocumentWrite>();
        for (var i = 0; i < Users; i++)
            others.Add(DocumentWrite.Put(DocumentKinds.User, $"user-{i:D4}", Json($$"""{"enabled":true,"department":"d{{i % 7}}"}"""), "*"));
        foreach (var chunk in others.Chunk(100))
            Assert.All(await _backend.Store.WriteManyAsync(_tenant, chunk), r => Assert.True(r.Succeeded, r.Message));
    }

    private static string Invoke(string id, string user) =>
        $$$"""{"id":"{{{id}}}","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["{{{user}}}"]},"agents":{"ids":["helper"]}}""";

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private Task<StoredDocument> PutAsync(string kind, string id, string body) => _backend.Store.PutAsync(_tenant, kind, id, Json(body), "*");

    private static async Task<Engine.Snapshots.PolicySnapshot> LoadAsync(Instance instance, string tenant)
    {
        var lease = await instance.Snapshots.GetAsync(tenant, CancellationToken.None);
        Assert.True(lease.Snapshot is not null, lease.Failure);
        return lease.Snapshot;
    }

    private SnapshotStatus Status(Instance instance) => Assert.Single(instance.Snapshots.Status(), s => s.TenantId == _tenant);

    /// <summary>An instance that read the tenant in full and wrote its checkpoint.</summary>
    private async Task<(Instance Writer, Engine.Snapshots.PolicySnapshot Snapshot)> CheckpointedAsync()
    {
        await SeedAsync();
        var writer = NewInstance();
        var snapshot = await LoadAsync(writer, _tenant);
        await writer.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(1, writer.Checkpoints.Written);
        return (writer, snapshot);
    }

    /// <summary>What a full read of the store gives now: the reference a checkpoint load must equal.</summary>
    private async Task<Engine.Snapshots.PolicySnapshot> FullReadAsync() => await LoadAsync(NewInstance(checkpoints: false), _tenant);

    private BlobClient CheckpointBlob => _container.GetBlobClient("tenants/" + Uri.EscapeDataString(_tenant) + "/snapshot.ckpt");

    [Fact]
    public async Task GetAsync_CheckpointWritten_ColdInstanceLoadsFromItWithAFewReads()
    {
        var (writer, written) = await CheckpointedAsync();
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        var status = Status(cold);
        Assert.Equal(TenantSnapshots.FromCheckpoint, status.LoadedFrom);
        Assert.Null(status.CheckpointFallback);
        Assert.Equal(_backend.Time.GetUtcNow(), status.CheckpointAt);
        Assert.Equal(written.Version, snapshot.Version);
        Assert.True(snapshot.IsPermitted(AliceInvokesHelper));
        Assert.False(snapshot.IsPermitted(BobInvokesHelper));
        Assert.Equal(1, cold.Checkpoints.Reads);
        // The full read listed every document page by page; the cold instance asked whether the tenant exists (one
        // document), took the current cursor while it read the blob (a full read's, had the checkpoint been unusable),
        // read the empty change feed after the checkpoint and one document to confirm the store holds it.
        Assert.True(writer.Reads.Documents > Users, $"full read: {writer.Reads.Documents} documents");
        Assert.True(cold.Reads.Documents * 100 <= writer.Reads.Documents, $"checkpoint load read {cold.Reads.Documents} documents, full read {writer.Reads.Documents}");
        Assert.True(cold.Reads.Requests <= 5, $"checkpoint load made {cold.Reads.Requests} store requests (full read: {writer.Reads.Requests})");
        Assert.Contains(cold.Log.Lines, l => l.Id.Id == 4104);
    }

    [Fact]
    public async Task GetAsync_ChangesAfterTheCheckpoint_AreAppliedBeforeTheFirstDecision()
    {
        await CheckpointedAsync();
        await PutAsync(DocumentKinds.Policy, "bob-helper", Invoke("bob-helper", "bob"));
        await PutAsync(DocumentKinds.User, "alice", """{"enabled":false}""");
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
        Assert.True(snapshot.IsPermitted(BobInvokesHelper));
        Assert.False(snapshot.IsPermitted(AliceInvokesHelper));
        Assert.Equal((await FullReadAsync()).Version, snapshot.Version);
        Assert.True(cold.Reads.Documents <= 4, $"read {cold.Reads.Documents} documents: the probe, the two changes and the anchor");
    }

    [Fact]
    public async Task GetAsync_TailRewritesTheFirstDocumentByKey_ConfirmsAnotherAndLoadsFromTheCheckpoint()
    {
        await CheckpointedAsync();
        // agent/helper is the checkpoint's first document by key, the one read ahead to confirm the store: the tail
        // rewrites it, so the load must confirm with the next one instead of taking the early read.
        await PutAsync(DocumentKinds.Agent, "helper", """{"enabled":false,"owner":"alice"}""");
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        var status = Status(cold);
        Assert.Equal(TenantSnapshots.FromCheckpoint, status.LoadedFrom);
        Assert.Null(status.CheckpointFallback);
        Assert.False(snapshot.IsPermitted(AliceInvokesHelper));
        Assert.Equal((await FullReadAsync()).Version, snapshot.Version);
        Assert.Equal(2, cold.Reads.Gets);
    }

    [Fact]
    public async Task GetAsync_TailLongerThanTheReadAhead_AppliesAllOfIt()
    {
        await CheckpointedAsync();
        // One change per batch: a tail of more batches than are read ahead while the snapshot is built.
        var tail = CheckpointTail.PrefetchedBatches + 3;
        for (var i = 0; i < tail; i++)
            await PutAsync(DocumentKinds.User, $"user-{i:D4}", """{"enabled":false}""");
        await PutAsync(DocumentKinds.User, "alice", """{"enabled":false}""");
        var cold = NewInstance(feed: inner => new OneChangePerBatchFeed(inner));

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
        Assert.False(snapshot.IsPermitted(AliceInvokesHelper));
        // alice's change comes last, after every batch read ahead.
        Assert.Equal((await FullReadAsync()).Version, snapshot.Version);
    }

    [Fact]
    public async Task GetAsync_CheckpointRead_OverlapsTheStoresFirstRequest()
    {
        await CheckpointedAsync();
        // The blob read finishes only once the store was asked for its cursor: a load that used the store only after the
        // blob would wait here until the guard gives up.
        var cursorTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cold = NewInstance(feed: inner => new SignallingFeed(inner, cursorTaken), blobStore: inner => new GatedCheckpointStore(inner, cursorTaken.Task));

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
        Assert.True(snapshot.IsPermitted(AliceInvokesHelper));
    }

    [Fact]
    public async Task GetAsync_DocumentsDeletedAfterTheCheckpoint_AreGone()
    {
        await CheckpointedAsync();
        await _backend.Store.DeleteAsync(_tenant, DocumentKinds.Policy, "alice-helper", "*");
        await _backend.Store.DeleteAsync(_tenant, DocumentKinds.User, "user-0007", "*");
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
        Assert.False(snapshot.IsPermitted(AliceInvokesHelper));
        Assert.Equal((await FullReadAsync()).Version, snapshot.Version);
    }

    [Fact]
    public async Task GetAsync_CorruptedCheckpoint_ReadsInFullAndHealthSaysWhy()
    {
        var (_, written) = await CheckpointedAsync();
        var bytes = (await CheckpointBlob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[^10] ^= 0x5a;
        await CheckpointBlob.UploadAsync(new BinaryData(bytes), overwrite: true);
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        var status = Status(cold);
        Assert.Equal(TenantSnapshots.FromStore, status.LoadedFrom);
        Assert.Contains("SHA-256", status.CheckpointFallback, StringComparison.Ordinal);
        Assert.Contains(cold.Log.Lines, l => l.Id.Id == 4105 && l.Message.Contains("SHA-256", StringComparison.Ordinal));
        Assert.Equal(written.Version, snapshot.Version);
        Assert.True(cold.Reads.Documents > Users);
    }

    [Fact]
    public async Task GetAsync_CheckpointOlderThanMaxAge_ReadsInFull()
    {
        var (_, written) = await CheckpointedAsync();
        _backend.Time.Advance(MaxAge + TimeSpan.FromSeconds(1));
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        var status = Status(cold);
        Assert.Equal(TenantSnapshots.FromStore, status.LoadedFrom);
        Assert.Contains("Snapshot:Checkpoint:MaxAge", status.CheckpointFallback, StringComparison.Ordinal);
        Assert.Equal(written.Version, snapshot.Version);
    }

    [Fact]
    public async Task GetAsync_NoCheckpoint_ReadsInFullAndSaysSo()
    {
        await SeedAsync();
        var cold = NewInstance();

        await LoadAsync(cold, _tenant);

        var status = Status(cold);
        Assert.Equal(TenantSnapshots.FromStore, status.LoadedFrom);
        Assert.Equal("there is no checkpoint", status.CheckpointFallback);
        Assert.Contains(cold.Log.Lines, l => l.Id.Id == 4105);
    }

    [Fact]
    public async Task GetAsync_UnknownFormatVersion_ReadsInFull()
    {
        await CheckpointedAsync();
        var bytes = (await CheckpointBlob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[7] = 9;
        await CheckpointBlob.UploadAsync(new BinaryData(bytes), overwrite: true);
        var cold = NewInstance();

        await LoadAsync(cold, _tenant);

        Assert.Contains("format version 9", Status(cold).CheckpointFallback, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_CheckpointCursorNotOfThisStore_ReadsInFull()
    {
        await SeedAsync();
        var writer = new SnapshotCheckpoints(new BlobCheckpointStore(new BlobServiceClient(Backend.StorageConnectionString), _options), _options, _backend.Time, NullLogger<SnapshotCheckpoints>.Instance);
        Assert.Equal(CheckpointWrite.Written, await writer.WriteIfChangedAsync(_tenant, "not-a-cursor", 0,
            System.Collections.Immutable.ImmutableDictionary.Create<string, CheckpointDocument>(StringComparer.Ordinal), CancellationToken.None));
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromStore, Status(cold).LoadedFrom);
        Assert.Contains("cursor", Status(cold).CheckpointFallback, StringComparison.Ordinal);
        Assert.True(snapshot.IsPermitted(AliceInvokesHelper));
    }

    [Fact]
    public async Task GetAsync_CheckpointDocumentsDisagreeWithItsFingerprint_ReadsInFull()
    {
        await SeedAsync();
        var writer = new SnapshotCheckpoints(new BlobCheckpointStore(new BlobServiceClient(Backend.StorageConnectionString), _options), _options, _backend.Time, NullLogger<SnapshotCheckpoints>.Instance);
        var cursor = await _backend.Feed.GetCurrentCursorAsync(_tenant);
        await writer.WriteIfChangedAsync(_tenant, cursor, 42, System.Collections.Immutable.ImmutableDictionary.Create<string, CheckpointDocument>(StringComparer.Ordinal), CancellationToken.None);
        var cold = NewInstance();

        var snapshot = await LoadAsync(cold, _tenant);

        Assert.Equal(TenantSnapshots.FromStore, Status(cold).LoadedFrom);
        Assert.Contains("not the 000000000000002a it records", Status(cold).CheckpointFallback, StringComparison.Ordinal);
        Assert.True(snapshot.IsPermitted(AliceInvokesHelper));
    }

    [Fact]
    public async Task GetAsync_CheckpointOfAnotherStore_ReadsInFull()
    {
        await CheckpointedAsync();
        // The same tenant in a store that never held the policy granting alice (a replaced or restored store): the
        // checkpoint's cursor may read nothing there, which must not make its documents current.
        var other = new TBackend();
        await other.InitializeAsync();
        try
        {
            foreach (var (kind, id, body) in new[] { (DocumentKinds.User, "alice", """{"enabled":true}"""), (DocumentKinds.User, "bob", """{"enabled":true}"""), (DocumentKinds.Agent, "helper", """{"enabled":true,"owner":"alice"}""") })
                await other.Store.PutAsync(_tenant, kind, id, Json(body), "*");
            var cold = NewInstance(backend: other);

            var snapshot = await LoadAsync(cold, _tenant);

            Assert.Equal(TenantSnapshots.FromStore, Status(cold).LoadedFrom);
            Assert.Contains("a different or restored store", Status(cold).CheckpointFallback, StringComparison.Ordinal);
            Assert.False(snapshot.IsPermitted(AliceInvokesHelper));
        }
        finally
        {
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task WriteCheckpointsAsync_TwoInstancesAtOnce_OnlyOneWrites()
    {
        await SeedAsync();
        var first = NewInstance();
        var second = NewInstance();
        await LoadAsync(first, _tenant);
        await LoadAsync(second, _tenant);

        await Task.WhenAll(first.Snapshots.WriteCheckpointsAsync(CancellationToken.None), second.Snapshots.WriteCheckpointsAsync(CancellationToken.None));

        Assert.Equal(1, first.Checkpoints.Written + second.Checkpoints.Written);
        Assert.Null(Status(first).CheckpointError);
        Assert.Null(Status(second).CheckpointError);
        var cold = NewInstance();
        Assert.Equal((await LoadAsync(first, _tenant)).Version, (await LoadAsync(cold, _tenant)).Version);
        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
    }

    [Fact]
    public async Task WriteCheckpointsAsync_AfterAChangeAndAnInterval_WritesAgainOnlyThen()
    {
        var (writer, _) = await CheckpointedAsync();
        _backend.Time.Advance(Interval);
        await writer.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(1, writer.Checkpoints.Written); // unchanged: nothing to write

        await PutAsync(DocumentKinds.Policy, "bob-helper", Invoke("bob-helper", "bob"));
        await writer.Snapshots.RefreshAsync(_tenant, CancellationToken.None);
        var loaded = NewInstance();
        await LoadAsync(loaded, _tenant); // from the first checkpoint and the change after it
        await writer.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(2, writer.Checkpoints.Written);
        await loaded.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(0, loaded.Checkpoints.Written); // the stored one already holds its version

        var cold = NewInstance();
        var snapshot = await LoadAsync(cold, _tenant);
        Assert.Equal(TenantSnapshots.FromCheckpoint, Status(cold).LoadedFrom);
        Assert.True(snapshot.IsPermitted(BobInvokesHelper));
        Assert.Equal((await FullReadAsync()).Version, snapshot.Version);
        Assert.True(cold.Reads.Documents <= 2, $"read {cold.Reads.Documents} documents: the probe and the anchor");
    }

    [Fact]
    public async Task WriteCheckpointsAsync_ChangedWithinAnIntervalOfAnotherWrite_LeavesIt()
    {
        var (_, _) = await CheckpointedAsync();
        await PutAsync(DocumentKinds.Policy, "bob-helper", Invoke("bob-helper", "bob"));
        var other = NewInstance();
        await LoadAsync(other, _tenant);

        await other.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(0, other.Checkpoints.Written);

        _backend.Time.Advance(Interval);
        await other.Snapshots.RefreshAsync(_tenant, CancellationToken.None);
        await other.Snapshots.WriteCheckpointsAsync(CancellationToken.None);
        Assert.Equal(1, other.Checkpoints.Written);
    }

    [Fact]
    public async Task TryWriteAsync_ETagOfAReplacedCheckpoint_IsRefused()
    {
        var store = new BlobCheckpointStore(new BlobServiceClient(Backend.StorageConnectionString), _options);
        var at = _backend.Time.GetUtcNow();
        Assert.True(await store.TryWriteAsync(_tenant, new byte[] { 1 }, new CheckpointHead(1, at), null, CancellationToken.None));
        Assert.False(await store.TryWriteAsync(_tenant, new byte[] { 9 }, new CheckpointHead(9, at), null, CancellationToken.None));
        var seen = (await store.GetHeadAsync(_tenant, CancellationToken.None))!;
        Assert.True(await store.TryWriteAsync(_tenant, new byte[] { 2 }, new CheckpointHead(2, at), seen.ETag, CancellationToken.None));

        Assert.False(await store.TryWriteAsync(_tenant, new byte[] { 3 }, new CheckpointHead(3, at), seen.ETag, CancellationToken.None));

        var stored = (await store.ReadAsync(_tenant, 1024, CancellationToken.None))!;
        Assert.Equal(new byte[] { 2 }, stored.Content.ToArray());
        Assert.Equal(2, (await store.GetHeadAsync(_tenant, CancellationToken.None))!.Fingerprint);
    }
}

public sealed class SqliteCheckpointTests(SqliteBackend backend) : CheckpointTests<SqliteBackend>(backend);

public sealed class CosmosCheckpointTests(CosmosBackend backend) : CheckpointTests<CosmosBackend>(backend);
