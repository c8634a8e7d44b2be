using System.Text.Json;
using Arbiter.DecisionLog.Bench;
using Arbiter.Engine.Decisions;

namespace Arbiter.DecisionLog.Tests;

public sealed class RecordTests
{
    [Fact]
    public void From_PrincipalRequest_IdsOnlyAgentFromContext()
    {
        var snapshot = NoLossRun.DemoSnapshot();
        using var context = JsonDocument.Parse("""{"agent":{"type":"agent","id":"hr-assistant"},"secret":"token-value"}""");
        var request = new DecisionRequest(new Entity("user", "alice"), "tools/call", new Entity("tool", "hr-lookup"), "hr-assistant", context.RootElement);
        var decision = snapshot.Evaluate(request);
        var time = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

        var record = DecisionRecord.From("demo", "req-9", request, decision, TimeSpan.FromMicroseconds(42), time);

        Assert.Equal(decision.DecisionId, record.Id);
        Assert.Equal("hr-assistant", record.AgentId);
        Assert.Equal(("user", "alice"), (record.SubjectType, record.SubjectId));
        Assert.Equal(decision.Allowed, record.Allowed);
        Assert.Equal(42, record.LatencyMicroseconds);
        Assert.Equal(decision.MatchedPolicies, record.MatchedPolicies);
        var json = JsonSerializer.Serialize(record, DecisionLogJsonContext.Default.DecisionRecord);
        Assert.DoesNotContain("token-value", json, StringComparison.Ordinal);
    }

    [Fact]
    public void From_ToolCallNamingItsServer_RecordsTheServerAndRoundTrips()
    {
        var snapshot = NoLossRun.DemoSnapshot();
        using var properties = JsonDocument.Parse("""{"server":"hr-mcp","arguments":{"name":"Dana"}}""");
        var request = new DecisionRequest(new Entity("user", "alice"), "tools/call", new Entity("tool", "hr-lookup", properties.RootElement), "hr-assistant");

        var record = DecisionRecord.From("demo", "mcp-1", request, snapshot.Evaluate(request), TimeSpan.Zero, DateTimeOffset.UnixEpoch);
        var json = JsonSerializer.Serialize(record, DecisionLogJsonContext.Default.DecisionRecord);
        var back = JsonSerializer.Deserialize(json, DecisionLogJsonContext.Default.DecisionRecord)!;

        Assert.Equal("hr-mcp", record.ResourceServer);
        Assert.Equal("hr-mcp", back.ResourceServer);
        Assert.DoesNotContain("Dana", json, StringComparison.Ordinal); // the arguments stay out
    }

    [Fact]
    public void From_AgentOnlyRequest_AgentIsTheSubject()
    {
        var snapshot = NoLossRun.DemoSnapshot();
        var request = new DecisionRequest(new Entity("agent", "recon-agent"), "tools/call", new Entity("tool", "ledger-read"));

        var record = DecisionRecord.From("demo", null, request, snapshot.Evaluate(request), TimeSpan.Zero, DateTimeOffset.UnixEpoch);

        Assert.Equal("recon-agent", record.AgentId);
        Assert.Equal(Decision.AgentOnlyMode, record.Mode);
    }

    [Fact]
    public void Partitions_RangeOfHours_EveryBucketOfEveryHourNewestFirst()
    {
        var from = new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero);
        var hours = DecisionLogPartitions.HoursNewestFirst(from, from.AddHours(2)).ToList();

        Assert.Equal([from.AddMinutes(90), from.AddMinutes(30), from.AddMinutes(-30)], hours);
        var keys = DecisionLogPartitions.KeysFor("t1", hours, 4).ToList();
        Assert.Equal(12, keys.Count);
        Assert.Equal("t1:2026030112:0", keys[0]);
        var record = Records.Make(time: from);
        Assert.Contains(DecisionLogPartitions.Key("t1", record.Time, record.Id, 4), keys);
    }
}
