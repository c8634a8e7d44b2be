using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// The AuthZEN Todo interop scenario and the API-gateway scenario layered on it, replayed through the HTTP API against
/// our own tenant (Conformance/Todo): users act directly, roles are nested groups, ownership is a CEL condition.
/// </summary>
public sealed class TodoScenarioTests(TodoServer server) : IClassFixture<TodoServer>
{
    private const string TodoCases = "Todo/todo.cases.json";
    private const string GatewayCases = "Todo/gateway.cases.json";

    private readonly HttpClient _client = server.Client;

    public static TheoryData<string> Todo() => ConformanceCases.Names(TodoCases);

    public static TheoryData<string> Gateway() => ConformanceCases.Names(GatewayCases);

    [Theory]
    [MemberData(nameof(Todo))]
    public Task Evaluate_TodoCase_AnswersAsTheScenarioExpects(string name) => ConformanceCases.RunAsync(_client, TodoCases, name);

    [Theory]
    [MemberData(nameof(Gateway))]
    public Task Evaluate_GatewayCase_AnswersAsTheScenarioExpects(string name) => ConformanceCases.RunAsync(_client, GatewayCases, name);

    private static object BenCompletesOwnTodo(object? options = null) => new
    {
        subject = new { type = "user", id = "pid-3f7a92" },
        action = new { name = "can_update_todo" },
        resource = new { type = "todo", id = "a51c0e2d-0001", properties = new { ownerID = "ben@lattice.example" } },
        options,
    };

    [Fact]
    public async Task Evaluate_ExplainRequested_ExplainsTheDirectDecision()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, BenCompletesOwnTodo(new { explain = true }));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision(), reply.Text);
        var context = reply.Json.GetProperty("context");
        Assert.Equal("direct", context.GetProperty("mode").GetString());
        Assert.Equal(["todo-editors-change-own"], context.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(32, context.GetProperty("decision_id").GetString()!.Length);
        Assert.Equal(JsonValueKind.String, context.GetProperty("snapshot_version").ValueKind);
        Assert.True(context.TryGetProperty("reason_admin", out _), reply.Text);
    }

    [Fact]
    public async Task Evaluate_ExplainFalse_MinimalDecisionOnly()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, BenCompletesOwnTodo(new { explain = false }));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("""{"decision":true}""", reply.Text);
    }

    [Fact]
    public async Task Evaluate_TwoExplainedDecisionsOnOnePolicyState_SameSnapshotVersion()
    {
        var first = await _client.PostAsync(Pdp.Evaluation, BenCompletesOwnTodo(new { explain = true }));
        var second = await _client.PostAsync(Pdp.Evaluation, BenCompletesOwnTodo(new { explain = true }));

        var version = first.Json.GetProperty("context").GetProperty("snapshot_version").GetString();
        Assert.False(string.IsNullOrEmpty(version), first.Text);
        Assert.Equal(version, second.Json.GetProperty("context").GetProperty("snapshot_version").GetString());
        Assert.NotEqual(first.Json.GetProperty("context").GetProperty("decision_id").GetString(), second.Json.GetProperty("context").GetProperty("decision_id").GetString());
    }

    [Fact]
    public async Task EvaluateBatch_ExplainRequested_ExplainsEveryItem()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, new
        {
            subject = new { type = "user", id = "pid-3f7a94" },
            action = new { name = "can_create_todo" },
            options = new { explain = true },
            evaluations = new object[]
            {
                new { resource = new { type = "todo", id = "todo-1" } },
                new { action = new { name = "can_read_todos" }, resource = new { type = "todo", id = "todo-1" } },
            },
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var items = reply.Json.GetProperty("evaluations").EnumerateArray().ToList();
        Assert.Equal([false, true], items.Select(i => i.GetProperty("decision").GetBoolean()));
        Assert.All(items, i => Assert.Equal("direct", i.GetProperty("context").GetProperty("mode").GetString()));
        Assert.Equal(["todo-viewers-read-todos"], items[1].GetProperty("context").GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
    }
}
