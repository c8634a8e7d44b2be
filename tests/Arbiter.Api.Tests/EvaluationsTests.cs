using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary><c>POST /access/v1/evaluations</c>: defaults and overrides, order, the three semantics, bad items, limits.</summary>
public sealed class EvaluationsTests(SmallLimitsServer server) : IClassFixture<SmallLimitsServer>
{
    private readonly HttpClient _client = server.Client;

    private static List<JsonElement> Items(Reply reply) => [.. reply.Json.GetProperty("evaluations").EnumerateArray()];

    private static bool[] Decisions(Reply reply) => [.. Items(reply).Select(e => e.GetProperty("decision").GetBoolean())];

    [Fact]
    public async Task Evaluations_DefaultsWithItemOverrides_EachItemUsesItsOwnMembersFirst()
    {
        // Default subject bob; item 2 replaces the subject by alice (whole member, not merged).
        const string body = """
            {
              "subject": { "type": "user", "id": "bob" },
              "action": { "name": "agent.invoke" },
              "evaluations": [
                { "resource": { "type": "agent", "id": "hr-assistant" } },
                { "resource": { "type": "agent", "id": "general-assistant" } },
                { "subject": { "type": "user", "id": "alice" }, "resource": { "type": "agent", "id": "hr-assistant" } }
              ]
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([false, true, true], Decisions(reply));
        // Minimal answers by default: nothing but the decision when there is nothing to act on.
        Assert.All(Items(reply), item => Assert.False(item.TryGetProperty("context", out _)));
    }

    [Fact]
    public async Task Evaluations_ItemSubjectWithoutId_NotMergedWithDefaultSubject()
    {
        // The item's subject replaces the default's: a subject lacking an id is an error, not alice's id borrowed.
        const string body = """
            {
              "subject": { "type": "user", "id": "alice" },
              "action": { "name": "agent.invoke" },
              "resource": { "type": "agent", "id": "hr-assistant" },
              "evaluations": [ { "subject": { "type": "user" } } ]
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        var item = Assert.Single(Items(reply));
        Assert.False(item.GetProperty("decision").GetBoolean());
        Assert.Equal("/evaluations/0/subject/id", item.GetProperty("context").GetProperty("error").GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluations_ResultsInRequestOrder_MatchSingleEvaluations()
    {
        var requests = new[]
        {
            Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
            Pdp.Request("bob", "agent.invoke", "agent", "hr-assistant"),
            Pdp.Request("bob", "tools/call", "tool", "sql-query", agent: "general-assistant"),
        };

        var reply = await _client.PostAsync(Pdp.Evaluations, new { evaluations = requests });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([true, false, false], Decisions(reply));
        for (var i = 0; i < requests.Length; i++)
        {
            var single = await _client.PostAsync(Pdp.Evaluation, requests[i]);
            Assert.Equal(single.Decision(), Decisions(reply)[i]);
        }
    }

    [Fact]
    public async Task Evaluations_ExecuteAllExplicit_EvaluatesEveryItem()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch("execute_all", "hr-assistant", "general-assistant", "hr-assistant"));

        Assert.Equal([false, true, false], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_NoSemantic_DefaultsToExecuteAll()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch(null, "hr-assistant", "hr-assistant", "general-assistant"));

        Assert.Equal([false, false, true], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_DenyOnFirstDeny_StopsAtFirstDeny()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch("deny_on_first_deny", "general-assistant", "hr-assistant", "general-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([true, false], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_DenyOnFirstDenyAllPermit_EvaluatesAll()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch("deny_on_first_deny", "general-assistant", "general-assistant"));

        Assert.Equal([true, true], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_PermitOnFirstPermit_StopsAtFirstPermit()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch("permit_on_first_permit", "hr-assistant", "general-assistant", "hr-assistant"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([false, true], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_PermitOnFirstPermitAllDeny_EvaluatesAll()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch("permit_on_first_permit", "hr-assistant", "legacy-bot-unknown", "hr-assistant"));

        Assert.Equal([false, false, false], Decisions(reply));
    }

    [Fact]
    public async Task Evaluations_BadItemInMiddle_ThatItemDeniedWithErrorRestEvaluated()
    {
        const string body = """
            {
              "subject": { "type": "user", "id": "bob" },
              "action": { "name": "agent.invoke" },
              "evaluations": [
                { "resource": { "type": "agent", "id": "general-assistant" } },
                { "resource": { "type": "agent" } },
                { "resource": { "type": "agent", "id": "general-assistant" } }
              ]
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var items = Items(reply);
        Assert.Equal([true, false, true], Decisions(reply));
        var error = items[1].GetProperty("context").GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("/evaluations/1/resource/id", error.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(items[0].TryGetProperty("context", out _));
    }

    [Fact]
    public async Task Evaluations_NonObjectItem_ThatItemDeniedWithError()
    {
        const string body = """
            {
              "subject": { "type": "user", "id": "bob" }, "action": { "name": "agent.invoke" },
              "resource": { "type": "agent", "id": "general-assistant" },
              "evaluations": [ 42, {} ]
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([false, true], Decisions(reply));
        Assert.True(Items(reply)[0].GetProperty("context").TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Evaluations_BadItemUnderDenyOnFirstDeny_StopsThere()
    {
        const string body = """
            {
              "subject": { "type": "user", "id": "bob" }, "action": { "name": "agent.invoke" },
              "options": { "evaluations_semantic": "deny_on_first_deny" },
              "evaluations": [ { "resource": { "type": "agent" } }, { "resource": { "type": "agent", "id": "general-assistant" } } ]
            }
            """;

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        var item = Assert.Single(Items(reply));
        Assert.True(item.GetProperty("context").TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Evaluations_OverBatchLimit_400NamingEvaluations()
    {
        var agents = Enumerable.Repeat("general-assistant", SmallLimitsServer.MaxBatchSize + 1).ToArray();

        var reply = await _client.PostAsync(Pdp.Evaluations, Batch(null, agents));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal("/evaluations", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluations_AtBatchLimit_Evaluated()
    {
        var agents = Enumerable.Repeat("general-assistant", SmallLimitsServer.MaxBatchSize).ToArray();

        var reply = await _client.PostAsync(Pdp.Evaluations, Batch(null, agents));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(SmallLimitsServer.MaxBatchSize, Items(reply).Count);
    }

    [Theory]
    [InlineData("\"first_match\"")]
    [InlineData("\"\"")]
    [InlineData("\"EXECUTE_ALL\"")]
    [InlineData("3")]
    public async Task Evaluations_UnknownSemantic_400NamingOption(string semantic)
    {
        var body = """{"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"options":{"evaluations_semantic":""" + semantic + """},"evaluations":[{"resource":{"type":"agent","id":"general-assistant"}}]}""";

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/options/evaluations_semantic", reply.Json.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(",\"evaluations\":[]")]
    [InlineData(",\"evaluations\":null")]
    public async Task Evaluations_NoEvaluations_SingleEvaluationResponse(string evaluations)
    {
        var body = $$"""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}{{evaluations}}}""";

        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
        Assert.False(reply.Json.TryGetProperty("evaluations", out _));
        Assert.Equal("""{"decision":true}""", reply.Text);
    }

    [Fact]
    public async Task Evaluations_NoEvaluationsAndMissingMember_400NamingIt()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/resource", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluations_EvaluationsNotAnArray_400()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, """{"evaluations":{"subject":{"type":"user","id":"alice"}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/evaluations", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluations_RequestId_Echoed()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, Batch(null, "general-assistant"), requestId: "batch-42");

        Assert.Equal("batch-42", reply.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Evaluations_PermitItemWithObligations_ObligationsOnThatItemOnly()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, new
        {
            subject = new { type = "user", id = "alice" },
            action = new { name = "data.read" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
            evaluations = new object[]
            {
                new { resource = new { type = "dataset", id = "employees" } },
                new { resource = new { type = "dataset", id = "ledger" } },
            },
        });

        var items = Items(reply);
        Assert.Equal([true, false], Decisions(reply));
        Assert.Equal(2, items[0].GetProperty("context").GetProperty("obligations").GetArrayLength());
        Assert.False(items[1].TryGetProperty("context", out _));
    }

    /// <summary>bob invoking each agent in turn: general-assistant permits, hr-assistant (and unknown agents) deny.</summary>
    private static Dictionary<string, object?> Batch(string? semantic, params string[] agents)
    {
        var body = new Dictionary<string, object?>
        {
            ["subject"] = new { type = "user", id = "bob" },
            ["action"] = new { name = "agent.invoke" },
            ["evaluations"] = agents.Select(a => new { resource = new { type = "agent", id = a } }).ToArray(),
        };
        if (semantic is not null)
            body["options"] = new { evaluations_semantic = semantic };
        return body;
    }
}
