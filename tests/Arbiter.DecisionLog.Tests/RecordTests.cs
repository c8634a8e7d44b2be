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

    [Fact]
    public void From_EveryDemoDecision_ReasonAsTheEngineWroteItThroughJournalAndGroup()
    {
        // A standard deny sentence is kept as its form and written from the record's own members: for every decision of
        // the demo tenant (both modes, direct, agent.invoke, a context.agent that is not the invoked agent) the record,
        // its journal line and its group must give the engine's sentence, and each form must occur.
        var snapshot = NoLossRun.DemoSnapshot();
        var requests = NoLossRun.Requests(snapshot).Concat(
        [
            new DecisionRequest(new Entity("user", "bob"), "tools/call", new Entity("tool", "ledger-read")),
            new DecisionRequest(new Entity("user", "bob"), "agent.invoke", new Entity("agent", "hr-assistant"), "recon-agent"),
            new DecisionRequest(new Entity("user", "dave"), "agent.invoke", new Entity("agent", "recon-agent"), "recon-agent"),
            // An agent acting alone whose request also names another context.agent (refused with a sentence of its own).
            new DecisionRequest(new Entity("agent", "recon-agent"), "tools/call", new Entity("tool", "sql-query"), "hr-assistant"),
        ]).ToArray();
        var forms = new HashSet<ReasonForm>();
        var records = new List<DecisionRecord>();
        foreach (var request in requests)
        {
            var decision = snapshot.Evaluate(request);
            var record = DecisionRecord.From("demo", "req-1", request, decision, TimeSpan.Zero, DateTimeOffset.UnixEpoch);
            Assert.Equal(decision.ReasonAdmin, record.ReasonAdmin);
            if (record.ReasonForm != ReasonForm.Text)
                Assert.Equal("", JsonSerializer.Deserialize<JsonElement>(Json(record with { ReasonForm = ReasonForm.Text })).GetProperty("reasonAdmin").GetString());
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            JournalLine.Write(buffer, record);
            var line = JournalLine.Read(buffer.WrittenSpan[..^1]);
            Assert.Equal((record.ReasonForm, decision.ReasonAdmin), (line!.ReasonForm, line.ReasonAdmin));
            forms.Add(record.ReasonForm);
            records.Add(record);
            if (decision.ReasonForm != record.ReasonForm)
                Assert.Equal(ReasonForm.Text, record.ReasonForm); // a sentence the record's members would not write again
        }

        var group = DecisionGroupCodec.Decode("demo", DecisionGroupCodec.Encode(records));
        Assert.Equal(records.Select(r => (r.ReasonForm, r.ReasonAdmin)), group.Select(r => (r.ReasonForm, r.ReasonAdmin)));
        Assert.Equal([ReasonForm.Text, ReasonForm.NotEntitled, ReasonForm.MayNotInvoke, ReasonForm.NoGrant], forms.Order());
    }

    [Theory]
    [InlineData("user", "bob", "tools/call", "tool", "hr-lookup", "hr-assistant", "deny: user 'bob' may not invoke agent 'hr-assistant'")]
    [InlineData("user", "alice", "tools/call", "tool", "ledger-read", "hr-assistant", "deny: agent 'hr-assistant' holds no principal grant for 'tools/call' on tool 'ledger-read'")]
    [InlineData("user", "bob", "tools/call", "tool", "ledger-read", null, "deny: user 'bob' is not entitled to 'tools/call' on tool 'ledger-read' acting directly")]
    [InlineData("user", "bob", "agent.invoke", "agent", "hr-assistant", null, "deny: user 'bob' may not invoke agent 'hr-assistant'")]
    public void From_StandardDeny_HeldAsItsFormAndTheSameSentence(string subjectType, string subject, string action, string resourceType, string resource, string? agent, string sentence)
    {
        var request = new DecisionRequest(new Entity(subjectType, subject), action, new Entity(resourceType, resource), agent);

        var decision = NoLossRun.DemoSnapshot().Evaluate(request);
        var record = DecisionRecord.From("demo", null, request, decision, TimeSpan.Zero, DateTimeOffset.UnixEpoch);

        Assert.NotEqual(ReasonForm.Text, decision.ReasonForm);
        Assert.Equal(sentence, decision.ReasonAdmin);
        Assert.Equal(decision.ReasonForm, record.ReasonForm);
        Assert.Equal(sentence, record.ReasonAdmin);
        Assert.Equal(sentence, JsonSerializer.Deserialize<JsonElement>(Json(record)).GetProperty("reasonAdmin").GetString()); // the JSON form holds the sentence
    }

    private static string Json(DecisionRecord r) => JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord);
}
