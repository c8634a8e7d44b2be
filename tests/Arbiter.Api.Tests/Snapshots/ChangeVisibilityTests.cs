using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Xunit.Abstractions;

namespace Arbiter.Api.Tests.Snapshots;

/// <summary>
/// The self-hosted server with a short refresh interval and a short staleness bound, its store behind a
/// <see cref="SwitchableStore"/>: changes written straight to the store (not through the admin API, so nothing
/// refreshes the snapshot on the spot) reach decisions through the refresher alone.
/// </summary>
public sealed class FastRefreshServer : ArbiterServerFixture
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(1);

    public SwitchableStore Store => Services.GetRequiredService<SwitchableStore>();

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Snapshot:RefreshInterval"] = RefreshInterval.ToString();
        settings["Snapshot:MaxStaleness"] = MaxStaleness.ToString();
        return settings;
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IDocumentStore>();
        services.RemoveAll<IChangeFeed>();
        services.AddSingleton(sp => new SwitchableStore(sp.GetRequiredService<SqliteDocumentStore>(), sp.GetRequiredService<SqliteDocumentStore>()));
        services.AddSingleton<IDocumentStore>(sp => sp.GetRequiredService<SwitchableStore>());
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<SwitchableStore>());
    }
}

public sealed class ChangeVisibilityTests(FastRefreshServer server, ITestOutputHelper output) : IClassFixture<FastRefreshServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task Evaluation_ChangeCommittedStraightToStore_VisibleWithinOneSecond()
    {
        var agent = AdminApi.NewId("agent");
        await PutAsync(DocumentKinds.Agent, agent, JsonSerializer.Serialize(AdminApi.Agent()));
        var policy = AdminApi.NewId("p");
        var measured = new List<TimeSpan>();

        for (var round = 0; round < 3; round++)
        {
            // Alternately grant and revoke bob's access; each time measure until the decision follows the store.
            var grant = round % 2 == 0;
            var clock = Stopwatch.StartNew();
            if (grant)
                await PutAsync(DocumentKinds.Policy, policy, JsonSerializer.Serialize(AdminApi.InvokePolicy(policy, agent, "bob")));
            else
                await server.Store.Inner.DeleteAsync(server.SeedTenant, DocumentKinds.Policy, policy, "*");
            var seen = await PollAsync(async () => (await _client.InvokeAsync("bob", agent)).Decision() == grant);
            clock.Stop();
            Assert.True(seen, $"round {round}: the change was not visible after {Patience.TotalSeconds} s");
            measured.Add(clock.Elapsed);
            output.WriteLine($"round {round} ({(grant ? "grant" : "revoke")}): committed → visible to /access/v1/evaluation in {clock.Elapsed.TotalMilliseconds:F0} ms (refresh interval {FastRefreshServer.RefreshInterval.TotalMilliseconds} ms)");
        }

        output.WriteLine($"max change visibility: {measured.Max().TotalMilliseconds:F0} ms");
        Assert.All(measured, m => Assert.True(m < TimeSpan.FromSeconds(1), $"visible after {m.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task Evaluation_StoreUnreadablePastMaxStaleness_FailsClosedThenRecoversByItself()
    {
        var agent = AdminApi.NewId("agent");
        await PutAsync(DocumentKinds.Agent, agent, JsonSerializer.Serialize(AdminApi.Agent()));
        var policy = AdminApi.NewId("p");
        await PutAsync(DocumentKinds.Policy, policy, JsonSerializer.Serialize(AdminApi.InvokePolicy(policy, agent, "alice")));
        Assert.True(await PollAsync(async () => (await _client.InvokeAsync("alice", agent)).Decision()));

        Reply? failed = null;
        Reply? health = null;
        server.Store.Down = true;
        try
        {
            Assert.True(await PollAsync(async () => !(failed = await _client.InvokeAsync("alice", agent)).Decision()), "never failed closed");
            health = await _client.FetchAsync("/health");
        }
        finally
        {
            server.Store.Down = false;
        }
        var recovered = await PollAsync(async () => (await _client.InvokeAsync("alice", agent)).Decision());

        Assert.Equal(HttpStatusCode.OK, failed!.Status);
        Assert.Contains("stale", failed.ReasonAdmin(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health!.Status);
        Assert.Equal("degraded", health.Json.GetProperty("status").GetString());
        var mine = Assert.Single(health.Json.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("unavailable", mine.GetProperty("storeState").GetString());
        Assert.True(recovered, "decisions did not recover after the store came back");
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync("/health")).Status);
    }

    private async Task PutAsync(string kind, string id, string json)
    {
        using var document = JsonDocument.Parse(json);
        await server.Store.Inner.PutAsync(server.SeedTenant, kind, id, document.RootElement.Clone(), "*");
    }

    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (await condition())
                return true;
            await Task.Delay(10);
        }
        return false;
    }
}
