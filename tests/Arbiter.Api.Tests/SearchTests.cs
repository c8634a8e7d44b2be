using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>The three search endpoints: results agree with evaluation, are transitive through groups, and page correctly.</summary>
public sealed class SearchTests(DevelopmentServer server, SmallLimitsServer smallServer) : IClassFixture<DevelopmentServer>, IClassFixture<SmallLimitsServer>
{
    private static readonly string[] DemoTools = ["docs-search", "hr-lookup", "hr-policies", "ledger-read", "sql-query"];
    private static readonly string[] DemoUsers = ["alice", "bob", "carol", "dave", "erin", "frank"];

    private readonly HttpClient _client = server.Client;

    private static List<string> Ids(Reply reply) => [.. reply.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];

    private static object AliceToolSearch(object? page = null) => new
    {
        subject = new { type = "user", id = "alice" },
        action = new { name = "tools/call" },
        resource = new { type = "tool" },
        context = new { agent = new { type = "agent", id = "hr-assistant" } },
        page,
    };

    [Fact]
    public async Task SearchResource_AliceViaHrAssistant_ExactlyTheToolsEvaluationPermits()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch());

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var found = Ids(reply);
        Assert.All(reply.Json.GetProperty("results").EnumerateArray(), r => Assert.Equal("tool", r.GetProperty("type").GetString()));
        var permitted = new List<string>();
        foreach (var tool in DemoTools)
        {
            if ((await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "tools/call", "tool", tool, agent: "hr-assistant"))).Decision())
                permitted.Add(tool);
        }
        Assert.Equal(permitted, found);
        Assert.Contains("hr-lookup", found);
        Assert.DoesNotContain("sql-query", found);
        var page = reply.Json.GetProperty("page");
        Assert.Equal("", page.GetProperty("next_token").GetString());
        Assert.Equal(found.Count, page.GetProperty("count").GetInt32());
        Assert.Equal(found.Count, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task SearchResource_BobViaGeneralAssistant_ExcludesRestrictedSqlTool()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, new
        {
            subject = new { type = "user", id = "bob" },
            action = new { name = "tools/call" },
            resource = new { type = "tool" },
            context = new { agent = new { type = "agent", id = "general-assistant" } },
        });

        var found = Ids(reply);
        Assert.DoesNotContain("sql-query", found);
        Assert.DoesNotContain("hr-lookup", found);
        Assert.Contains("docs-search", found);
    }

    [Fact]
    public async Task SearchResource_UnknownResourceType_EmptyResults()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, new
        {
            subject = new { type = "user", id = "alice" },
            action = new { name = "tools/call" },
            resource = new { type = "spaceship" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Empty(Ids(reply));
        Assert.Equal(0, reply.Json.GetProperty("page").GetProperty("total").GetInt32());
        Assert.Equal("", reply.Json.GetProperty("page").GetProperty("next_token").GetString());
    }

    [Fact]
    public async Task SearchSubject_UsersWhoMayInvokeHrAssistant_IncludesNestedGroupMember()
    {
        var reply = await _client.PostAsync(Pdp.SearchSubject, new
        {
            subject = new { type = "user" },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "hr-assistant" },
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["alice", "frank"], Ids(reply));
        Assert.All(reply.Json.GetProperty("results").EnumerateArray(), r => Assert.Equal("user", r.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task SearchSubject_GeneralAssistant_AgreesWithEvaluationForEveryUser()
    {
        var reply = await _client.PostAsync(Pdp.SearchSubject, new
        {
            subject = new { type = "user" },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "general-assistant" },
        });

        var permitted = new List<string>();
        foreach (var user in DemoUsers)
        {
            if ((await _client.PostAsync(Pdp.Evaluation, Pdp.Request(user, "agent.invoke", "agent", "general-assistant"))).Decision())
                permitted.Add(user);
        }
        Assert.Equal(permitted, Ids(reply));
        Assert.Contains("frank", permitted);
        Assert.DoesNotContain("dave", permitted);
    }

    [Fact]
    public async Task SearchAction_AliceOnHrLookupViaHrAssistant_ActionsAgreeWithEvaluation()
    {
        var reply = await _client.PostAsync(Pdp.SearchAction, new
        {
            subject = new { type = "user", id = "alice" },
            resource = new { type = "tool", id = "hr-lookup" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var actions = reply.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Contains("tools/call", actions);
        Assert.DoesNotContain("data.read", actions);
        foreach (var action in new[] { "tools/call", "tools/list", "data.read", "response.expose", "agent.invoke" })
        {
            var decision = (await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", action, "tool", "hr-lookup", agent: "hr-assistant"))).Decision();
            Assert.Equal(decision, actions.Contains(action));
        }
        Assert.Equal(actions.Count, reply.Json.GetProperty("page").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task SearchAction_UnknownSubject_NoActions()
    {
        var reply = await _client.PostAsync(Pdp.SearchAction, new
        {
            subject = new { type = "user", id = "mallory" },
            resource = new { type = "agent", id = "general-assistant" },
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(0, reply.Json.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task SearchSubject_PageLimitOne_WalksAllPagesAndConcatenationEqualsUnpaged()
    {
        object Body(string? token) => new
        {
            subject = new { type = "user" },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "general-assistant" },
            page = new { limit = 1, token },
        };
        var unpaged = Ids(await _client.PostAsync(Pdp.SearchSubject, new
        {
            subject = new { type = "user" },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "general-assistant" },
        }));
        Assert.True(unpaged.Count >= 3, "the demo tenant should give several users");

        var walked = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var reply = await _client.PostAsync(Pdp.SearchSubject, Body(token));
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var page = reply.Json.GetProperty("page");
            Assert.Equal(1, page.GetProperty("count").GetInt32());
            Assert.Equal(unpaged.Count, page.GetProperty("total").GetInt32());
            walked.AddRange(Ids(reply));
            token = page.GetProperty("next_token").GetString();
            Assert.NotNull(token);
            pages++;
            Assert.True(pages <= unpaged.Count, "paging must end");
        }
        while (token != "");

        Assert.Equal(unpaged.Count, pages);
        Assert.Equal(unpaged, walked);
    }

    [Fact]
    public async Task SearchResource_PageLimitTwo_LastPagePartialWithEmptyToken()
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { limit = 2 }));
        var total = first.Json.GetProperty("page").GetProperty("total").GetInt32();
        Assert.Equal(3, total);
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString();
        Assert.False(string.IsNullOrEmpty(token));

        var second = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { limit = 2, token }));

        Assert.Equal(1, second.Json.GetProperty("page").GetProperty("count").GetInt32());
        Assert.Equal("", second.Json.GetProperty("page").GetProperty("next_token").GetString());
        var all = Ids(await _client.PostAsync(Pdp.SearchResource, AliceToolSearch()));
        Assert.Equal(all, Ids(first).Concat(Ids(second)));
    }

    [Fact]
    public async Task SearchResource_EmptyTokenOrNullPage_FirstPage()
    {
        var all = Ids(await _client.PostAsync(Pdp.SearchResource, AliceToolSearch()));

        var emptyToken = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { token = "" }));

        Assert.Equal(all, Ids(emptyToken));
    }

    [Fact]
    public async Task SearchAction_PageLimitOne_Pages()
    {
        var reply = await _client.PostAsync(Pdp.SearchAction, new
        {
            subject = new { type = "user", id = "alice" },
            resource = new { type = "tool", id = "hr-lookup" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
            page = new { limit = 1 },
        });

        Assert.Equal(1, reply.Json.GetProperty("results").GetArrayLength());
        Assert.Equal(1, reply.Json.GetProperty("page").GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("\"not-a-token\"")]
    [InlineData("\"djE6LTU\"")]
    [InlineData("\"eDE6MQ\"")]
    [InlineData("\"!!\"")]
    [InlineData("7")]
    [InlineData("{}")]
    public async Task Search_BadPageToken_400NamingToken(string token)
    {
        var body = """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool"},"context":{"agent":{"type":"agent","id":"hr-assistant"}},"page":{"token":""" + token + """}}""";

        var reply = await _client.PostAsync(Pdp.SearchResource, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal("/page/token", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Search_TokenReplayedWithOtherMembers_400NamingToken()
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { limit = 1 }));
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString();
        Assert.False(string.IsNullOrEmpty(token));

        // The same page, asked for another user: the token was issued for alice's search only.
        var replayed = await _client.PostAsync(Pdp.SearchResource, new
        {
            subject = new { type = "user", id = "bob" },
            action = new { name = "tools/call" },
            resource = new { type = "tool" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
            page = new { token },
        });
        var same = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { token }));

        Assert.Equal(HttpStatusCode.BadRequest, replayed.Status);
        Assert.Equal("/page/token", replayed.Json.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, same.Status);
    }

    [Fact]
    public async Task Search_LimitZero_NoResultsButCountTotalAndPageFirst()
    {
        var all = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch());
        var none = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { limit = 0 }));

        Assert.Equal(HttpStatusCode.OK, none.Status);
        Assert.Empty(Ids(none));
        var page = none.Json.GetProperty("page");
        Assert.Equal(0, page.GetProperty("count").GetInt32());
        Assert.Equal(Ids(all).Count, page.GetProperty("total").GetInt32());
        Assert.StartsWith("{\"page\":", none.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"2\"")]
    public async Task Search_BadPageLimit_400NamingLimit(string limit)
    {
        var body = """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool"},"page":{"limit":""" + limit + """}}""";

        var reply = await _client.PostAsync(Pdp.SearchResource, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/page/limit", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Search_PageNotAnObject_400()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool"},"page":5}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/page", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Search_LimitAboveMaxPageSize_Capped()
    {
        var reply = await smallServer.Client.PostAsync(Pdp.SearchResource, AliceToolSearch(new { limit = 1000 }));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(SmallLimitsServer.MaxPageSize, reply.Json.GetProperty("page").GetProperty("count").GetInt32());
        Assert.NotEqual("", reply.Json.GetProperty("page").GetProperty("next_token").GetString());
    }

    public static TheoryData<string, string, string> MissingSearchMembers => new()
    {
        { Pdp.SearchResource, """{"action":{"name":"tools/call"},"resource":{"type":"tool"}}""", "/subject" },
        { Pdp.SearchResource, """{"subject":{"type":"user","id":"alice"},"resource":{"type":"tool"}}""", "/action" },
        { Pdp.SearchResource, """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"}}""", "/resource" },
        { Pdp.SearchResource, """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{}}""", "/resource/type" },
        { Pdp.SearchResource, """{"subject":{"type":"user"},"action":{"name":"tools/call"},"resource":{"type":"tool"}}""", "/subject/id" },
        { Pdp.SearchSubject, """{"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject" },
        { Pdp.SearchSubject, """{"subject":{},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/type" },
        { Pdp.SearchSubject, """{"subject":{"type":"user"},"action":{},"resource":{"type":"agent","id":"hr-assistant"}}""", "/action/name" },
        { Pdp.SearchSubject, """{"subject":{"type":"user"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""", "/resource/id" },
        { Pdp.SearchAction, """{"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject" },
        { Pdp.SearchAction, """{"subject":{"type":"user","id":"alice"}}""", "/resource" },
    };

    [Theory]
    [MemberData(nameof(MissingSearchMembers))]
    public async Task Search_MissingRequiredMember_400NamingIt(string endpoint, string body, string field)
    {
        var reply = await _client.PostAsync(endpoint, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal(field, reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Search_RequestId_Echoed()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, AliceToolSearch(), requestId: "search-1");

        Assert.Equal("search-1", reply.Header("X-Request-ID"));
    }

    [Fact]
    public async Task Search_UnknownMembers_Ignored()
    {
        var reply = await _client.PostAsync(Pdp.SearchSubject, JsonSerializer.Serialize(new
        {
            subject = new { type = "user", extra = 1 },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "hr-assistant" },
            evaluations = "nonsense",
            sort = "desc",
        }));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(["alice", "frank"], Ids(reply));
    }
}
