using System.Text.Json;
using Arbiter.Api.Health;
using Arbiter.Api.Security;
using Arbiter.Runtime.Snapshots;
using Arbiter.Engine.Decisions;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Arbiter.Api.Tests.Snapshots;

/// <summary>
/// <see cref="TenantSnapshots"/> over a real in-memory SQLite store behind a <see cref="SwitchableStore"/>, with a
/// <see cref="FakeTimeProvider"/>: loading, refresh from the change log, serving within the staleness bound, failing
/// closed past it, recovering, and what health reports meanwhile.
/// </summary>
public sealed class TenantSnapshotsTests : IDisposable
{
    private const string Tenant = "t1";
    private static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SqliteDocumentStore _sqlite;
    private readonly SwitchableStore _store;
    private readonly TenantSnapshots _snapshots;

    private static readonly DecisionRequest AliceInvokesHelper = new(new Entity("user", "alice"), "agent.invoke", new Entity("agent", "helper"));
    private static readonly DecisionRequest BobInvokesHelper = new(new Entity("user", "bob"), "agent.invoke", new Entity("agent", "helper"));

    public TenantSnapshotsTests()
    {
        _sqlite = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = ":memory:" + Guid.NewGuid().ToString("n") }), _time,
            NullLogger<SqliteDocumentStore>.Instance);
        _store = new SwitchableStore(_sqlite, _sqlite);
        var options = Options.Create(new SnapshotOptions { MaxStaleness = MaxStaleness, RefreshInterval = TimeSpan.FromMilliseconds(200) });
        _snapshots = new TenantSnapshots(_store, _store, options, _time, NullLogger<TenantSnapshots>.Instance);
    }

    public void Dispose() => _sqlite.Dispose();

    private async Task SeedAsync()
    {
        await PutAsync(DocumentKinds.User, "alice", """{"enabled":true}""");
        await PutAsync(DocumentKinds.User, "bob", """{"enabled":true}""");
        await PutAsync(DocumentKinds.Agent, "helper", """{"enabled":true,"owner":"alice"}""");
        await PutAsync(DocumentKinds.Policy, "alice-helper", Invoke("alice-helper", "alice"));
    }

    private static string Invoke(string id, string user) =>
        $$$"""{"id":"{{{id}}}","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["{{{user}}}"]},"agents":{"ids":["helper"]}}""";

    private Task<StoredDocument> PutAsync(string kind, string id, string body)
    {
        using var document = JsonDocument.Parse(body);
        return _sqlite.PutAsync(Tenant, kind, id, document.RootElement.Clone(), "*");
    }

    private async Task<bool> PermitsAsync(DecisionRequest request)
    {
        var lease = await _snapshots.GetAsync(Tenant, CancellationToken.None);
        Assert.True(lease.Snapshot is not null, lease.Failure);
        return lease.Snapshot.IsPermitted(request);
    }

    [Fact]
    public async Task GetAsync_FirstCall_LoadsTenantFromStore()
    {
        await SeedAsync();

        var lease = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(lease.Failure);
        Assert.NotNull(lease.Snapshot);
        Assert.True(lease.Snapshot.IsPermitted(AliceInvokesHelper));
        Assert.False(lease.Snapshot.IsPermitted(BobInvokesHelper));
    }

    [Fact]
    public async Task RefreshAsync_CommittedChange_VisibleWithNewVersion()
    {
        await SeedAsync();
        var first = (await _snapshots.GetAsync(Tenant, CancellationToken.None)).Snapshot!;
        await PutAsync(DocumentKinds.Policy, "bob-helper", Invoke("bob-helper", "bob"));
        Assert.False(await PermitsAsync(BobInvokesHelper));

        await _snapshots.RefreshAsync(Tenant, CancellationToken.None);

        var second = (await _snapshots.GetAsync(Tenant, CancellationToken.None)).Snapshot!;
        Assert.NotEqual(first.Version, second.Version);
        Assert.True(second.Generation > first.Generation);
        Assert.True(second.IsPermitted(BobInvokesHelper));
    }

    [Fact]
    public async Task RefreshAsync_DeletedPolicy_NoLongerPermits()
    {
        await SeedAsync();
        Assert.True(await PermitsAsync(AliceInvokesHelper));
        await _sqlite.DeleteAsync(Tenant, DocumentKinds.Policy, "alice-helper", "*");

        await _snapshots.RefreshAsync(Tenant, CancellationToken.None);

        Assert.False(await PermitsAsync(AliceInvokesHelper));
    }

    [Fact]
    public async Task RefreshAsync_SuspendedAgent_DeniesAsSuspended()
    {
        await SeedAsync();
        Assert.True(await PermitsAsync(AliceInvokesHelper));
        await PutAsync(DocumentKinds.Agent, "helper", """{"enabled":true,"suspended":true,"owner":"alice"}""");

        await _snapshots.RefreshAsync(Tenant, CancellationToken.None);

        var decision = (await _snapshots.GetAsync(Tenant, CancellationToken.None)).Snapshot!.Evaluate(AliceInvokesHelper);
        Assert.False(decision.Allowed);
        Assert.Contains("suspended", decision.ReasonAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshAsync_ManyChangesBeyondOneBatch_AllApplied()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        for (var i = 0; i < 1100; i++)
            await PutAsync(DocumentKinds.User, $"user-{i:D4}", """{"enabled":true}""");
        await PutAsync(DocumentKinds.Policy, "last-helper", Invoke("last-helper", "user-1099"));

        await _snapshots.RefreshAsync(Tenant, CancellationToken.None);

        Assert.True(await PermitsAsync(new DecisionRequest(new Entity("user", "user-1099"), "agent.invoke", new Entity("agent", "helper"))));
    }

    [Fact]
    public async Task GetAsync_StoreDownShorterThanMaxStaleness_ServesLastSnapshot()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = true;

        _time.Advance(MaxStaleness - TimeSpan.FromSeconds(1));
        await _snapshots.RefreshAllAsync(CancellationToken.None);
        var lease = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(lease.Failure);
        Assert.True(lease.Snapshot!.IsPermitted(AliceInvokesHelper));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _snapshots.RefreshAsync(Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_StoreDownLongerThanMaxStaleness_FailsClosedNamingStaleness()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = true;

        for (var i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            await _snapshots.RefreshAllAsync(CancellationToken.None);
        }
        var lease = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(lease.Snapshot);
        Assert.Contains("stale", lease.Failure, StringComparison.Ordinal);
        Assert.Contains(SwitchableStore.DownMessage, lease.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_StoreBackAfterStaleness_RecoversWithChangesCommittedMeanwhile()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = true;
        _time.Advance(MaxStaleness + TimeSpan.FromSeconds(5));
        await _snapshots.RefreshAllAsync(CancellationToken.None);
        Assert.Null((await _snapshots.GetAsync(Tenant, CancellationToken.None)).Snapshot);
        await PutAsync(DocumentKinds.Policy, "bob-helper", Invoke("bob-helper", "bob")); // committed by another instance meanwhile

        _store.Down = false;
        await _snapshots.RefreshAllAsync(CancellationToken.None);
        var lease = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(lease.Failure);
        Assert.True(lease.Snapshot!.IsPermitted(AliceInvokesHelper));
        Assert.True(lease.Snapshot.IsPermitted(BobInvokesHelper));
    }

    [Fact]
    public async Task GetAsync_StoreDownBeforeFirstLoad_FailsClosedThenLoadsWhenBack()
    {
        await SeedAsync();
        _store.Down = true;

        var down = await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = false;
        _time.Advance(TimeSpan.FromSeconds(1)); // past the first backoff: decisions do not hammer a failing store
        var up = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(down.Snapshot);
        Assert.Contains(SwitchableStore.DownMessage, down.Failure, StringComparison.Ordinal);
        Assert.NotNull(up.Snapshot);
        Assert.True(up.Snapshot.IsPermitted(AliceInvokesHelper));
    }

    [Fact]
    public async Task Status_StoreDownPastMaxStaleness_StaleUnavailableWithError()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = true;
        _time.Advance(MaxStaleness + TimeSpan.FromSeconds(1));
        await _snapshots.RefreshAllAsync(CancellationToken.None);

        var status = Assert.Single(_snapshots.Status());

        Assert.Equal(Tenant, status.TenantId);
        Assert.True(status.Stale);
        Assert.Equal("unavailable", status.StoreState);
        Assert.Equal(SwitchableStore.DownMessage, status.LastError);
        Assert.Equal(31, status.AgeSeconds, 3);
        Assert.Matches("^[0-9a-f]{16}$", status.Version);
    }

    [Fact]
    public async Task Health_StoreDownPastMaxStaleness_503DegradedThenHealthyWhenBack()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);
        var health = NewHealthEndpoint();
        var healthy = await health.HandleAsync(new DefaultHttpContext(), CancellationToken.None);
        _store.Down = true;
        _time.Advance(MaxStaleness + TimeSpan.FromSeconds(1));
        await _snapshots.RefreshAllAsync(CancellationToken.None);

        var degraded = await health.HandleAsync(new DefaultHttpContext(), CancellationToken.None);
        _store.Down = false;
        await _snapshots.RefreshAllAsync(CancellationToken.None);
        var recovered = await health.HandleAsync(new DefaultHttpContext(), CancellationToken.None);

        Assert.Equal(StatusCodes.Status200OK, StatusOf(healthy));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, StatusOf(degraded));
        var report = ReportOf(degraded);
        Assert.Equal("degraded", report.Status);
        Assert.StartsWith("snapshot-stale", Assert.Single(report.Reasons), StringComparison.Ordinal);
        var mine = Assert.Single(report.Snapshots!);
        Assert.True(mine.Stale);
        Assert.Equal("unavailable", mine.StoreState);
        Assert.Equal(StatusCodes.Status200OK, StatusOf(recovered));
        Assert.Equal("healthy", ReportOf(recovered).Status);
    }

    private HealthEndpoint NewHealthEndpoint()
    {
        var auth = Options.Create(new AuthOptions { Mode = AuthMode.Development, DevelopmentTenant = Tenant });
        var metadata = new StaticConfigurationManager<OpenIdConnectConfiguration>(new OpenIdConnectConfiguration());
        var authenticator = new CallerAuthenticator(auth, metadata, NullLogger<CallerAuthenticator>.Instance);
        return new HealthEndpoint(_time, _snapshots, authenticator, auth, new DecisionLogLossWatch(_time));
    }

    private static int? StatusOf(IResult result) => Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode;

    private static HealthReport ReportOf(IResult result) => Assert.IsAssignableFrom<IValueHttpResult<HealthReport>>(result).Value!;

    [Fact]
    public async Task GetAsync_UnknownTenant_DeniesOnAnEmptySnapshotWithoutTrackingIt()
    {
        await SeedAsync();

        var first = await _snapshots.GetAsync("nobody", CancellationToken.None);
        var calls = _store.Calls;
        var again = await _snapshots.GetAsync("nobody", CancellationToken.None);

        Assert.NotNull(first.Snapshot);
        Assert.False(first.Snapshot.IsPermitted(AliceInvokesHelper));
        Assert.Same(first.Snapshot, again.Snapshot);
        Assert.Equal(calls, _store.Calls); // remembered: the store is not asked again
        Assert.DoesNotContain("nobody", _snapshots.Tenants);
        Assert.DoesNotContain(_snapshots.Status(), s => s.TenantId == "nobody");
    }

    [Fact]
    public async Task GetAsync_ManyInventedTenants_NoneTrackedOrRefreshed()
    {
        await SeedAsync();
        await _snapshots.GetAsync(Tenant, CancellationToken.None);

        for (var i = 0; i < 300; i++)
            Assert.False((await _snapshots.GetAsync($"invented-{i}", CancellationToken.None)).Snapshot!.IsPermitted(AliceInvokesHelper));

        Assert.Equal([Tenant], _snapshots.Tenants);
    }

    [Fact]
    public async Task GetAsync_FirstLoadFailed_DeniesAtOnceAndTheRefresherRetriesWithBackoff()
    {
        await SeedAsync();
        _snapshots.Track(Tenant);
        _store.Down = true;
        await _snapshots.RefreshAllAsync(CancellationToken.None); // the first load fails
        var calls = _store.Calls;

        var denied = await _snapshots.GetAsync(Tenant, CancellationToken.None);
        _store.Down = false;
        await _snapshots.RefreshAllAsync(CancellationToken.None); // within the backoff: not retried yet
        var stillDenied = await _snapshots.GetAsync(Tenant, CancellationToken.None);

        Assert.Null(denied.Snapshot);
        Assert.Contains(SwitchableStore.DownMessage, denied.Failure, StringComparison.Ordinal);
        Assert.Null(stillDenied.Snapshot);
        Assert.Equal(calls, _store.Calls); // neither the decisions nor the early refresh asked the store

        _time.Advance(TimeSpan.FromSeconds(1));
        await _snapshots.RefreshAllAsync(CancellationToken.None);
        Assert.True(await PermitsAsync(AliceInvokesHelper));
    }

    [Fact]
    public async Task GetAsync_StoreDownForAnUnknownTenant_DeniesAtOnceUntilTheBackoffPasses()
    {
        await SeedAsync();
        _store.Down = true;
        var first = await _snapshots.GetAsync(Tenant, CancellationToken.None);
        var calls = _store.Calls;

        var second = await _snapshots.GetAsync("other", CancellationToken.None);
        Assert.Equal(calls, _store.Calls);
        _store.Down = false;
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(first.Snapshot);
        Assert.Null(second.Snapshot);
        Assert.Contains(SwitchableStore.DownMessage, second.Failure, StringComparison.Ordinal);
        Assert.True(await PermitsAsync(AliceInvokesHelper));
    }
}
