using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary><c>POST /access/v1/evaluation</c> through the self-hosted server: the demo tenant's story and the wire contract.</summary>
public sealed class EvaluationTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task Evaluation_HrUserInvokesHrAgent_PermitsWithFullContext()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        var json = reply.Json;
        Assert.True(json.GetProperty("decision").GetBoolean());
        var context = json.GetProperty("context");
        Assert.False(string.IsNullOrEmpty(context.GetProperty("decision_id").GetString()));
        Assert.Matches("^[0-9a-f]{16}$", context.GetProperty("snapshot_version").GetString());
        Assert.Contains("hr-may-use-hr-assistant", context.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.False(string.IsNullOrEmpty(context.GetProperty("reason_admin").GetProperty("en").GetString()));
        Assert.Equal(JsonValueKind.Object, context.GetProperty("reason_user").ValueKind);
        Assert.NotEmpty(context.GetProperty("reason_user").EnumerateObject());
        Assert.False(context.TryGetProperty("obligations", out _));
        Assert.False(context.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Evaluation_TwoCalls_DistinctDecisionIds()
    {
        var first = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));
        var second = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));

        Assert.NotEqual(
            first.Json.GetProperty("context").GetProperty("decision_id").GetString(),
            second.Json.GetProperty("context").GetProperty("decision_id").GetString());
    }

    [Fact]
    public async Task Evaluation_NestedGroupMemberInvokesHrAgent_Permits()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("frank", "agent.invoke", "agent", "hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task Evaluation_GeneralUserInvokesHrAgent_DeniesWith200AndReasons()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("bob", "agent.invoke", "agent", "hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.False(json.GetProperty("decision").GetBoolean());
        var context = json.GetProperty("context");
        Assert.False(string.IsNullOrEmpty(context.GetProperty("decision_id").GetString()));
        Assert.Contains("user 'bob' may not invoke agent 'hr-assistant'", context.GetProperty("reason_admin").GetProperty("en").GetString(), StringComparison.Ordinal);
        Assert.Contains("You do not have access to this agent.", context.GetProperty("reason_user").EnumerateObject().Select(p => p.Value.GetString()));
        Assert.False(context.TryGetProperty("obligations", out _));
    }

    [Fact]
    public async Task Evaluation_GeneralAssistantCallsRestrictedSqlTool_DeniedByForbid()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("bob", "tools/call", "tool", "sql-query", agent: "general-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Decision());
        Assert.Contains("no-raw-sql-for-assistants", reply.Json.GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString(), StringComparison.Ordinal);
        Assert.False(reply.Json.GetProperty("context").TryGetProperty("obligations", out _));
    }

    [Fact]
    public async Task Evaluation_HrUserCallsHrLookupThroughHrAgent_Permits()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation,
            Pdp.Request("alice", "tools/call", "tool", "hr-lookup", agent: "hr-assistant"));

        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task Evaluation_AgentOnlyBackendAgentReadsLedger_Permits()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("recon-agent", "tools/call", "tool", "ledger-read", subjectType: "agent"));

        Assert.True(reply.Decision());
        Assert.Equal("agentOnly", reply.Json.GetProperty("context").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Evaluation_DataReadPermit_CarriesRowFilterObligations()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "data.read", "dataset", "employees", agent: "hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
        var obligations = reply.Json.GetProperty("context").GetProperty("obligations").EnumerateArray().ToList();
        Assert.Equal(["active-only", "no-executives"], obligations.Select(o => o.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(obligations, o =>
        {
            Assert.Equal("rowFilter", o.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(o.GetProperty("properties").GetProperty("filter").GetString()));
        });
        Assert.Contains(obligations, o => o.GetProperty("properties").GetProperty("filter").GetString() == "employment_status = 'active'");
    }

    [Fact]
    public async Task Evaluation_ResponseExposePermit_CarriesRedactObligation()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "response.expose", "document", "employee-record", agent: "hr-assistant"));

        Assert.True(reply.Decision());
        var obligations = reply.Json.GetProperty("context").GetProperty("obligations").EnumerateArray().ToList();
        Assert.NotEmpty(obligations);
        Assert.All(obligations, o => Assert.Equal("redact", o.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Evaluation_DataReadDenied_HasNoObligations()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("bob", "data.read", "dataset", "employees", agent: "general-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Decision());
        Assert.False(reply.Json.GetProperty("context").TryGetProperty("obligations", out _));
    }

    [Fact]
    public async Task Evaluation_UnknownMembersEverywhere_IgnoredAndSameDecision()
    {
        const string body = """
            {
              "subject": { "type": "user", "id": "alice", "properties": { "department": "x" }, "nickname": "al" },
              "action": { "name": "agent.invoke", "verb": "go", "properties": { "p": 1 } },
              "resource": { "type": "agent", "id": "hr-assistant", "color": "blue" },
              "context": { "time": "2026-01-01T00:00:00Z", "extra": [1, 2, { "x": null }] },
              "something_else": { "nested": true },
              "options": 42
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task Evaluation_UnknownUser_DeniedNot4xx()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("mallory", "agent.invoke", "agent", "general-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Decision());
        Assert.Contains("unknown user 'mallory'", reply.Json.GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluation_RequestIdSent_EchoedInResponseHeader()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"), requestId: "req-4711-abc");

        Assert.Equal("req-4711-abc", reply.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Evaluation_NoRequestId_OneGenerated()
    {
        var first = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));
        var second = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));

        Assert.False(string.IsNullOrWhiteSpace(first.Header("X-Request-ID")));
        Assert.NotEqual(first.Header("X-Request-ID"), second.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Evaluation_ErrorResponse_StillEchoesRequestId()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, "{}", requestId: "bad-request-id-1");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("bad-request-id-1", reply.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Evaluation_UnusableRequestId_ReplacedByGeneratedOne()
    {
        var tooLong = new string('x', 513);

        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"), requestId: tooLong);

        Assert.NotEqual(tooLong, reply.Header("X-Request-ID"));
        Assert.False(string.IsNullOrWhiteSpace(reply.Header("X-Request-ID")));
    }

    [Fact]
    public async Task Evaluation_JsonWithCharsetAndVendorJsonMediaType_Accepted()
    {
        var body = JsonSerializer.Serialize(Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"));

        var withCharset = await _client.PostAsync(Pdp.Evaluation, body, "application/json; charset=utf-8");
        var vendor = await _client.PostAsync(Pdp.Evaluation, body, "application/vnd.authzen+json");

        Assert.Equal(HttpStatusCode.OK, withCharset.Status);
        Assert.Equal(HttpStatusCode.OK, vendor.Status);
    }

    [Fact]
    public async Task Evaluation_GetInsteadOfPost_MethodNotAllowed()
    {
        var reply = await _client.GetReplyAsync(Pdp.Evaluation);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, reply.Status);
    }
}
