using System.Globalization;
using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.DecisionLog;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests;

/// <summary>
/// <c>GET /manage/v1/decisions</c> over the log as the sink stores it (grouped records): each filter of the query
/// string, newest-first paging by continuation, and bad values as 400 naming the field. Records are handed to the sink
/// as the flusher would, in batches, at times of their own (February hours no other test writes to).
/// </summary>
public sealed class DecisionLogQueryTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private static readonly DateTimeOffset Start = new(2026, 2, 3, 9, 0, 0, TimeSpan.Zero);
    private readonly HttpClient _client = server.Client;

    private static DecisionRecord Record(string tenant, DateTimeOffset start, int i) => new(
        "0" + i.ToString("D7", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..24],
        start.AddSeconds(41 * i),
        tenant,
        "req-" + i.ToString(CultureInfo.InvariantCulture),
        "user",
        i % 2 == 0 ? "alice" : "bob",
        i % 3 == 0 ? "recon-agent" : "hr-assistant",
        i % 5 == 0 ? "data.read" : "tools/call",
        i % 7 == 0 ? "data" : "tool",
        i % 4 == 0 ? "sql-query" : "hr-lookup",
        i % 3 != 1,
        "principal",
        i % 3 != 1 ? ["p-allow"] : [],
        i % 3 != 1 ? "permitted by p-allow" : "no policy permits",
        i % 3 != 1 ? "allowed" : "not allowed",
        [],
        3,
        10,
        false,
        []);

    private async Task<List<DecisionRecord>> SeedAsync(string tenant, DateTimeOffset start)
    {
        var records = Enumerable.Range(0, 120).Select(i => Record(tenant, start, i)).ToList();
        var sink = server.Services.GetRequiredService<IDecisionLogSink>();
        // Batches whose times interleave, as journal replays and spill drains deliver them.
        foreach (var batch in records.GroupBy(r => records.IndexOf(r) % 3))
        {
            await sink.WriteBatchAsync([.. batch], CancellationToken.None);
        }

        return records;
    }

    private async Task<List<string>> IdsAsync(string query, int pageSize)
    {
        var ids = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var path = $"{AdminApi.Prefix}/decisions?from={Uri.EscapeDataString(Start.ToString("O"))}&to={Uri.EscapeDataString(Start.AddHours(3).ToString("O"))}&pageSize={pageSize}{query}"
                + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var reply = await _client.FetchAsync(path);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var items = reply.Json.GetProperty("items");
            Assert.True(items.GetArrayLength() <= pageSize);
            ids.AddRange(items.EnumerateArray().Select(item => item.GetProperty("id").GetString()!));
            continuation = reply.Json.TryGetProperty("continuation", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            Assert.True(++pages < 500);
        }
        while (continuation is not null);

        return ids;
    }

    private static List<string> NewestFirst(IEnumerable<DecisionRecord> records) =>
        [.. records.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id)];

    [Fact]
    public async Task QueryDecisions_EachFilter_OnlyMatchesNewestFirstAcrossPages()
    {
        var records = await SeedAsync(server.SeedTenant, Start);

        Assert.Equal(NewestFirst(records), await IdsAsync("", pageSize: 17));
        Assert.Equal(NewestFirst(records.Where(r => r.AgentId == "recon-agent")), await IdsAsync("&agent=recon-agent", pageSize: 6));
        Assert.Equal(NewestFirst(records.Where(r => r.SubjectId == "alice")), await IdsAsync("&user=alice", pageSize: 9));
        Assert.Equal(NewestFirst(records.Where(r => r.SubjectId == "bob" && r.Action == "data.read")), await IdsAsync("&subject=bob&action=data.read", pageSize: 2));
        Assert.Equal(NewestFirst(records.Where(r => r.ResourceType == "tool" && r.ResourceId == "sql-query" && !r.Allowed)), await IdsAsync("&resourceType=tool&resource=sql-query&decision=deny", pageSize: 3));
        Assert.Equal(NewestFirst(records.Where(r => r.ResourceType == "data" && r.Allowed)), await IdsAsync("&resourceType=data&decision=permit", pageSize: 4));
    }

    [Fact]
    public async Task QueryDecisions_TimeRange_OnlyDecisionsInIt()
    {
        // A day of its own: the other tests' records are not in it.
        var day = Start.AddDays(1);
        var records = await SeedAsync(server.SeedTenant, day);
        var from = day.AddMinutes(20);
        var to = day.AddMinutes(50);

        var reply = await _client.FetchAsync($"{AdminApi.Prefix}/decisions?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&pageSize=1000&agent=hr-assistant");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(
            NewestFirst(records.Where(r => r.Time >= from && r.Time < to && r.AgentId == "hr-assistant")),
            [.. reply.Json.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()!)]);
    }

    [Fact]
    public async Task QueryDecisions_OtherTenantsRecords_NotSeen()
    {
        var records = await SeedAsync("another-tenant-" + Guid.NewGuid().ToString("N")[..6], Start);

        var ids = await IdsAsync("", pageSize: 1000);

        Assert.Empty(ids.Intersect(records.Select(r => r.Id)));
    }

    [Theory]
    [InlineData("&decision=maybe", "decision")]
    [InlineData("&pageSize=0", "pageSize")]
    [InlineData("&continuation=not-a-cursor", "continuation")]
    public async Task QueryDecisions_BadValue_400NamingTheField(string query, string field)
    {
        var reply = await _client.FetchAsync($"{AdminApi.Prefix}/decisions?from={Uri.EscapeDataString(Start.ToString("O"))}&to={Uri.EscapeDataString(Start.AddHours(1).ToString("O"))}{query}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains(field, reply.Text, StringComparison.Ordinal);
    }
}
