using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;
using Arbiter.Runtime.Snapshots;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests;

/// <summary>
/// <c>GET /manage/v1/decisions/{id}</c>: the way from a minimal answer back to its whole explanation. The record is
/// handed to the sink as the flusher would (the flusher's own timing is the decision-log tests' business).
/// </summary>
public sealed class DecisionByIdTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    private async Task<Decision> DecideAsync(DecisionRequest request)
    {
        var lease = await server.Services.GetRequiredService<TenantSnapshots>().GetAsync(server.SeedTenant, CancellationToken.None);
        return lease.Snapshot!.Evaluate(request);
    }

    [Fact]
    public async Task GetDecision_Logged_WholeExplanationInTheCallersTenantOnly()
    {
        var request = new DecisionRequest(new Entity("user", "bob"), "tools/call", new Entity("tool", "sql-query"), "general-assistant");
        var decision = await DecideAsync(request);
        var sink = server.Services.GetRequiredService<IDecisionLogSink>();
        var time = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(decision.DecisionId[..12], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
        await sink.WriteBatchAsync([DecisionRecord.From(server.SeedTenant, "req-1", request, decision, TimeSpan.FromMilliseconds(1), time.AddMilliseconds(3))], CancellationToken.None);
        // Ids that differ from the decision's only in the last digit: same time, so only the id and the tenant tell them apart.
        var others = "0123456789abcdef".Where(c => c != decision.DecisionId[^1]).Select(c => decision.DecisionId[..31] + c).ToArray();
        var elsewhere = DecisionRecord.From("another-tenant", "req-2", request, decision, TimeSpan.Zero, time) with { Id = others[0] };
        await sink.WriteBatchAsync([elsewhere], CancellationToken.None);

        var found = await _client.FetchAsync($"{AdminApi.Prefix}/decisions/{decision.DecisionId}");
        var otherTenants = await _client.FetchAsync($"{AdminApi.Prefix}/decisions/{elsewhere.Id}");
        var unknown = await _client.FetchAsync($"{AdminApi.Prefix}/decisions/{others[1]}");
        var malformed = await _client.FetchAsync($"{AdminApi.Prefix}/decisions/not-an-id");

        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.False(decision.Allowed);
        Assert.Contains("no-raw-sql-for-assistants", found.Json.GetProperty("reasonAdmin").GetString(), StringComparison.Ordinal);
        Assert.Equal("req-1", found.Json.GetProperty("requestId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, otherTenants.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
    }

    [Theory]
    [InlineData("ffffffffffff00000000000000000000")] // 2^48 - 1 ms: past the last date a DateTimeOffset holds
    [InlineData("e677d21fdbff00000000000000000000")] // 9999-12-31 23:59:59.999, whose search window reaches past it
    public async Task GetDecision_IdWhoseTimeIsPastAnyDate_BadRequestNamingIt(string id)
    {
        var answer = await _client.FetchAsync($"{AdminApi.Prefix}/decisions/{id}");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("id", answer.Json.GetProperty("field").GetString());
    }
}
