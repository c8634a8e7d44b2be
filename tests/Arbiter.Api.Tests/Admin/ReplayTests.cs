using System.Net;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.DecisionLog;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests.Admin;

/// <summary>
/// Impact replay through the real server: decision records with known answers are stored in its decision log, and a
/// candidate policy set is replayed over them; every count is known in advance. The records span three log pages, so
/// the replay has to page through the log rather than read one page.
/// </summary>
public sealed class ReplayTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private const string Route = AdminApi.Prefix + "/replay";
    private readonly HttpClient _client = server.Client;

    /// <summary>A forbid on a tool the HR assistant may use today (alice's calls flip to deny) and a permit for bob to reach it (his denies flip).</summary>
    private static readonly object[] Candidate =
    [
        new { id = "no-hr-policies", effect = "forbid", agents = new { any = true }, actions = new[] { "tools/call" }, resources = new { ids = new[] { "hr-policies" } } },
        new { id = "bob-uses-hr-assistant", effect = "permit", subjects = new { users = new[] { "bob" } }, agents = new { ids = new[] { "hr-assistant" } }, actions = new[] { "agent.invoke" } },
    ];

    private async Task<(DateTimeOffset From, DateTimeOffset To)> SeedAsync(int hoursBack, string tenant = "demo")
    {
        // The host's clock, not the test's: the window must be one the server's log keeps. Each test has its own hour
        // of the log (a record every 100 ms: 2,260 records take four minutes), so the tests of this class never overlap.
        var now = server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var from = now.AddHours(-hoursBack);
        var records = new List<DecisionRecord>();
        var t = from;
        DecisionRecord Record(string subject, string? agent, string action, string resourceType, string resource, bool allowed, string mode = "principal", string? server = null)
        {
            t = t.AddMilliseconds(100);
            return new DecisionRecord(Guid.NewGuid().ToString("n"), t, tenant, null, mode == "agentOnly" ? "agent" : "user", subject, agent, action, resourceType, resource,
                allowed, mode, [], "recorded", "recorded", [], 1, 10, false, [], server);
        }
        for (var i = 0; i < 1200; i++)
            records.Add(Record("alice", "hr-assistant", "tools/call", "tool", "hr-policies", true, server: "hr-mcp"));
        for (var i = 0; i < 300; i++)
            records.Add(Record("bob", "hr-assistant", "agent.invoke", "agent", "hr-assistant", false));
        for (var i = 0; i < 700; i++)
            records.Add(Record("frank", "hr-assistant", "agent.invoke", "agent", "hr-assistant", true));
        for (var i = 0; i < 50; i++)
            records.Add(Record("recon-agent", "recon-agent", "data.read", "dataset", "ledger", true, mode: "agentOnly"));
        // Recorded as denied although today's policies permit them (the directory or policies changed since): not flips.
        for (var i = 0; i < 10; i++)
            records.Add(Record("frank", "hr-assistant", "agent.invoke", "agent", "hr-assistant", false));
        var sink = server.Services.GetRequiredService<IDecisionLogSink>();
        foreach (var batch in records.Chunk(500))
            await sink.WriteBatchAsync(batch, CancellationToken.None);
        return (from, t.AddSeconds(1));
    }

    [Fact]
    public async Task Replay_CandidateOverThreePagesOfLog_CountsEveryFlipExactly()
    {
        var (from, to) = await SeedAsync(hoursBack: 2);

        var reply = await _client.SendAsync(HttpMethod.Post, Route, new { from, to, policies = Candidate, maxFlips = 5 });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.Equal(2260, json.GetProperty("read").GetInt32());
        Assert.Equal(1500, json.GetProperty("flipped").GetInt32());
        Assert.Equal(1200, json.GetProperty("permitToDeny").GetInt32());
        Assert.Equal(300, json.GetProperty("denyToPermit").GetInt32());
        Assert.Equal(10, json.GetProperty("recordedDiffers").GetInt32());
        Assert.False(json.GetProperty("truncated").GetBoolean());
        var groups = json.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(("permit-to-deny", "hr-assistant", "tools/call", "hr-policies", 1200, 1),
            (groups[0].GetProperty("change").GetString(), groups[0].GetProperty("agentId").GetString(), groups[0].GetProperty("action").GetString(),
             groups[0].GetProperty("resourceId").GetString(), groups[0].GetProperty("count").GetInt32(), groups[0].GetProperty("subjects").GetInt32()));
        Assert.Equal(("deny-to-permit", "agent.invoke", 300), (groups[1].GetProperty("change").GetString(), groups[1].GetProperty("action").GetString(), groups[1].GetProperty("count").GetInt32()));
        var flips = json.GetProperty("flips").EnumerateArray().ToList();
        Assert.Equal(5, flips.Count);
        Assert.True(json.GetProperty("flipsTruncated").GetBoolean());
        var flip = flips[0];
        Assert.True(flip.GetProperty("before").GetBoolean() != flip.GetProperty("after").GetBoolean());
        Assert.False(string.IsNullOrEmpty(flip.GetProperty("beforeReason").GetString()));
        Assert.False(string.IsNullOrEmpty(flip.GetProperty("afterReason").GetString()));
    }

    [Fact]
    public async Task Replay_FilterAndRecordLimit_ReadOnlyWhatIsAsked()
    {
        var (from, to) = await SeedAsync(hoursBack: 4);

        var filtered = await _client.SendAsync(HttpMethod.Post, Route, new { from, to, policies = Candidate, filters = new { subject = "bob" } });
        var limited = await _client.SendAsync(HttpMethod.Post, Route, new { from, to, policies = Candidate, maxRecords = 1001 });

        Assert.Equal(HttpStatusCode.OK, filtered.Status);
        Assert.Equal(300, filtered.Json.GetProperty("read").GetInt32());
        Assert.Equal(300, filtered.Json.GetProperty("denyToPermit").GetInt32());
        Assert.Equal(1001, limited.Json.GetProperty("read").GetInt32());
        Assert.True(limited.Json.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Replay_UnknownRemoval_FlipsNothing()
    {
        var (from, to) = await SeedAsync(hoursBack: 6);

        var reply = await _client.SendAsync(HttpMethod.Post, Route, new { from, to, remove = new[] { "no-such-policy" } });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(2260, reply.Json.GetProperty("read").GetInt32());
        Assert.Equal(0, reply.Json.GetProperty("flipped").GetInt32());
    }

    [Theory]
    [InlineData("""{"to":"2026-12-01T00:00:00Z","remove":["x"]}""", "/from")]
    [InlineData("""{"from":"2026-12-01T00:00:00Z","to":"2026-11-01T00:00:00Z","remove":["x"]}""", "/to")]
    [InlineData("""{"from":"2026-10-01T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"]}""", "/to")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z"}""", "/policies")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","policies":[{"id":"bad","effect":"maybe"}]}""", "/policies/0/effect")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"],"maxFlips":100000}""", "/maxFlips")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"],"filters":{"decision":"maybe"}}""", "/filters/decision")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"],"filters":{"colour":"red"}}""", "/filters/colour")]
    [InlineData("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"],"extra":1}""", "/extra")]
    public async Task Replay_BadBody_400NamingTheField(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(Route, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
