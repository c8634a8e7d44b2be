using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Api.Tests.Snapshots;

/// <summary>
/// The self-hosted server on a <see cref="FakeTimeProvider"/>, its store behind a <see cref="SwitchableStore"/> and its
/// change feed behind <see cref="FeedReads"/>: changes written straight to the store (not through the admin API, so
/// nothing refreshes the snapshot on the spot) reach decisions through the refresher alone, which runs when a test
/// advances <see cref="Clock"/> by <see cref="RefreshInterval"/>; a test waits for the refresh by an event, not a clock.
/// How fast a change becomes visible in wall-clock time is measured by the refresh benchmark (bench/Arbiter.Benchmarks).
/// </summary>
public sealed class FastRefreshServer : ArbiterServerFixture
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(1);

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public SwitchableStore Store => Services.GetRequiredService<SwitchableStore>();

    public FeedReads Reads => Services.GetRequiredService<FeedReads>();

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Snapshot:RefreshInterval"] = RefreshInterval.ToString();
        settings["Snapshot:MaxStaleness"] = MaxStaleness.ToString();
        return settings;
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<TimeProvider>();
        services.AddSingleton<TimeProvider>(Clock);
        services.RemoveAll<IDocumentStore>();
        services.RemoveAll<IChangeFeed>();
        services.AddSingleton(sp => new SwitchableStore(sp.GetRequiredService<SqliteDocumentStore>(), sp.GetRequiredService<SqliteDocumentStore>()));
        services.AddSingleton(sp => new FeedReads(sp.GetRequiredService<SwitchableStore>()));
        services.AddSingleton<IDocumentStore>(sp => sp.GetRequiredService<SwitchableStore>());
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<FeedReads>());
    }

    /// <summary>
    /// The refresher's view of the change feed, with events a test awaits. The refresher reads one tenant at a time and
    /// ends a refresh on an empty batch (or a failed read), and a refresh applies a batch before it reads the next one.
    /// </summary>
    public sealed class FeedReads(IChangeFeed inner) : IChangeFeed
    {
        private readonly object _gate = new();
        private readonly List<TaskCompletionSource<bool>> _caughtUp = [];
        private readonly List<TaskCompletionSource> _started = [];

        /// <summary>
        /// Completes when a read that starts after this call ends its refresh: true when it found nothing more to apply
        /// (everything committed before this call is in the snapshot), false when the store could not be read.
        /// </summary>
        public Task<bool> NextRefreshEndAsync() => Register(_caughtUp, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        /// <summary>Completes when the next read starts: every refresh that ended before this call has fully completed.</summary>
        public Task NextReadStartAsync() => Register(_started, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default) =>
            inner.GetCurrentCursorAsync(tenantId, cancellationToken);

        public async Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
        {
            List<TaskCompletionSource<bool>> waiting;
            lock (_gate)
            {
                waiting = [.. _caughtUp];
                _caughtUp.Clear();
                _started.ForEach(s => s.TrySetResult());
                _started.Clear();
            }

            ChangeBatch batch;
            try
            {
                batch = await inner.ReadAsync(tenantId, cursor, maxItems, cancellationToken);
            }
            catch
            {
                waiting.ForEach(w => w.TrySetResult(false));
                throw;
            }

            if (batch.Changes.Count == 0)
            {
                waiting.ForEach(w => w.TrySetResult(true));
            }
            else
            {
                // The refresh applies this batch and reads again: that read ends it.
                lock (_gate)
                {
                    _caughtUp.AddRange(waiting);
                }
            }

            return batch;
        }

        private T Register<T>(List<T> list, T waiter)
        {
            lock (_gate)
            {
                list.Add(waiter);
            }

            return waiter;
        }
    }
}

public sealed class ChangeVisibilityTests(FastRefreshServer server) : IClassFixture<FastRefreshServer>
{
    // Only so a broken refresher fails the test instead of hanging the run; no outcome depends on it.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task Evaluation_ChangeCommittedStraightToStore_VisibleAfterNextRefresh()
    {
        var agent = AdminApi.NewId("agent");
        await PutAsync(DocumentKinds.Agent, agent, JsonSerializer.Serialize(AdminApi.Agent()));
        Assert.True(await RefreshAsync(), "the refresh after the agent was written failed");
        var policy = AdminApi.NewId("p");

        for (var round = 0; round < 3; round++)
        {
            // Alternately grant and revoke bob's access; each time the next refresh must carry the change to decisions.
            var grant = round % 2 == 0;
            if (grant)
                await PutAsync(DocumentKinds.Policy, policy, JsonSerializer.Serialize(AdminApi.InvokePolicy(policy, agent, "bob")));
            else
                await server.Store.Inner.DeleteAsync(server.SeedTenant, DocumentKinds.Policy, policy, "*");

            var refreshed = await RefreshAsync();

            Assert.True(refreshed, $"round {round}: the refresh failed");
            Assert.True((await _client.InvokeAsync("bob", agent)).Decision() == grant, $"round {round}: the {(grant ? "grant" : "revoke")} was not visible after the refresh");
        }
    }

    [Fact]
    public async Task Evaluation_StoreUnreadablePastMaxStaleness_FailsClosedThenRecoversByItself()
    {
        var agent = AdminApi.NewId("agent");
        await PutAsync(DocumentKinds.Agent, agent, JsonSerializer.Serialize(AdminApi.Agent()));
        var policy = AdminApi.NewId("p");
        await PutAsync(DocumentKinds.Policy, policy, JsonSerializer.Serialize(AdminApi.InvokePolicy(policy, agent, "alice")));
        Assert.True(await RefreshAsync());
        Assert.True((await _client.InvokeAsync("alice", agent)).Decision());

        Reply? failed = null;
        Reply? health = null;
        bool refreshedWhileDown;
        server.Store.Down = true;
        try
        {
            // Past the staleness bound with every refresh failing; then one more tick, so the failed refresh has ended.
            refreshedWhileDown = await RefreshAsync(FastRefreshServer.MaxStaleness + FastRefreshServer.RefreshInterval);
            await SettleAsync();
            failed = await _client.InvokeAsync("alice", agent);
            health = await _client.FetchAsync("/health");
        }
        finally
        {
            server.Store.Down = false;
        }
        var recovered = await RefreshAsync();
        await SettleAsync();

        Assert.False(refreshedWhileDown, "a refresh succeeded while the store was down");
        Assert.False(failed!.Decision(), "never failed closed");
        Assert.Equal(HttpStatusCode.OK, failed.Status);
        Assert.Contains("stale", failed.ReasonAdmin(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health!.Status);
        Assert.Equal("degraded", health.Json.GetProperty("status").GetString());
        var mine = Assert.Single(health.Json.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("unavailable", mine.GetProperty("storeState").GetString());
        Assert.True(recovered, "the refresh after the store came back failed");
        Assert.True((await _client.InvokeAsync("alice", agent)).Decision(), "decisions did not recover after the store came back");
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync("/health")).Status);
    }

    private async Task PutAsync(string kind, string id, string json)
    {
        using var document = JsonDocument.Parse(json);
        await server.Store.Inner.PutAsync(server.SeedTenant, kind, id, document.RootElement.Clone(), "*");
    }

    /// <summary>Moves the clock (one refresh interval unless told) and waits for the refresh that follows: true when it caught up.</summary>
    private async Task<bool> RefreshAsync(TimeSpan? advance = null)
    {
        var ended = server.Reads.NextRefreshEndAsync();
        server.Clock.Advance(advance ?? FastRefreshServer.RefreshInterval);
        return await ended.WaitAsync(HangGuard);
    }

    /// <summary>One more tick, until the next refresh starts: the refresh before it has then recorded its outcome (success time, error).</summary>
    private async Task SettleAsync()
    {
        var started = server.Reads.NextReadStartAsync();
        server.Clock.Advance(FastRefreshServer.RefreshInterval);
        await started.WaitAsync(HangGuard);
    }
}
