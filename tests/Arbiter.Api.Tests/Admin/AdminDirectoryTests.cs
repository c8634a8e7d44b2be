using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Directory items (users, groups, agents, MCP servers, tools, data resources) through the admin API.</summary>
public sealed class AdminDirectoryTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    /// <summary>Collection → a valid item body (no id: the URL names it).</summary>
    public static TheoryData<string, string> ValidItems => new()
    {
        { "users", """{"displayName":"Test user","enabled":true,"attributes":{"department":"QA"}}""" },
        { "groups", """{"displayName":"Test group","memberUsers":["alice"],"memberGroups":[]}""" },
        { "agents", """{"displayName":"Test agent","enabled":true,"owner":"erin","sponsors":["alice"],"tags":["test"]}""" },
        { "mcp-servers", """{"displayName":"Test server","sensitivity":"internal","tags":[]}""" },
        { "tools", """{"server":"docs-mcp","displayName":"Test tool","sensitivity":"public"}""" },
        { "data-resources", """{"type":"dataset","classification":"internal","tags":[]}""" },
    };

    [Theory]
    [MemberData(nameof(ValidItems))]
    public async Task PutDirectory_CreateReadReplaceDelete_FullLifecycle(string collection, string body)
    {
        var id = AdminApi.NewId("item");
        var path = AdminApi.Directory(collection, id);

        var created = await _client.SendAsync(HttpMethod.Put, path, body);
        var read = await _client.FetchAsync(path);
        var list = await _client.FetchAsync($"{AdminApi.Prefix}/directory/{collection}?limit=1000");
        var createAgain = await _client.SendAsync(HttpMethod.Put, path, body);
        var replaced = await _client.SendAsync(HttpMethod.Put, path, body, ifMatch: created.ETag());
        var stale = await _client.SendAsync(HttpMethod.Put, path, body, ifMatch: created.ETag());
        var deleteWithout = await _client.SendAsync(HttpMethod.Delete, path);
        var deleted = await _client.SendAsync(HttpMethod.Delete, path, ifMatch: replaced.ETag());
        var gone = await _client.FetchAsync(path);

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(created.ETag(), read.ETag());
        Assert.Equal(id, read.Json.GetProperty("body").GetProperty("id").GetString());
        Assert.Contains(id, list.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, createAgain.Status);
        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        Assert.NotEqual(created.ETag(), replaced.ETag());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal((HttpStatusCode)428, deleteWithout.Status);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
    }

    [Theory]
    [InlineData("tools", """{"displayName":"Tool without a server","sensitivity":"public"}""")]
    [InlineData("data-resources", """{"type":"tool","classification":"internal"}""")]
    [InlineData("data-resources", """{"type":"spread sheet","classification":"internal"}""")]
    [InlineData("settings", """{"assertedSubjectTypes":"user"}""")]
    [InlineData("settings", """{"subjectTypeAliases":{"bot":"agent"}}""")]
    [InlineData("data-resources", """{"classification":"internal"}""")]
    public async Task PutDirectory_InvalidItem_400ProblemAndNothingSaved(string collection, string body)
    {
        var id = AdminApi.NewId("item");

        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory(collection, id), body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.NotEmpty(reply.ErrorPaths());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Directory(collection, id))).Status);
    }

    [Fact]
    public async Task PutDirectory_IdInBodyDiffersFromUrl_400()
    {
        var id = AdminApi.NewId("item");

        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("users", id), new { id = "someone-else", enabled = true });

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/id", reply.Json.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Directory("users", id))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Directory("users", "someone-else"))).Status);
    }

    [Fact]
    public async Task PutDirectory_NotAJsonObject_400()
    {
        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("users", AdminApi.NewId("item")), "[1,2]");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Theory]
    [InlineData("GET", "/manage/v1/directory/widgets")]
    [InlineData("GET", "/manage/v1/directory/widgets/w1")]
    [InlineData("PUT", "/manage/v1/directory/widgets/w1")]
    [InlineData("DELETE", "/manage/v1/directory/widgets/w1")]
    [InlineData("GET", "/manage/v1/directory/policies/hr-may-use-hr-assistant")]
    public async Task Directory_UnknownCollection_404Problem(string method, string path)
    {
        var reply = await _client.SendAsync(new HttpMethod(method), path, method == "PUT" ? "{\"enabled\":true}" : null, ifMatch: method == "DELETE" ? "*" : null);

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains("unknown collection", reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAgent_NewAgentAndPolicy_DecisionsFollowAtOnce()
    {
        var agent = await _client.CreateInvokableAgentAsync("bob");

        var reply = await _client.InvokeAsync("bob", agent);

        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task DeleteAgent_Existing_NextDecisionDenies()
    {
        var agent = await _client.CreateInvokableAgentAsync("bob");
        var current = await _client.FetchAsync(AdminApi.Directory("agents", agent));

        await _client.SendAsync(HttpMethod.Delete, AdminApi.Directory("agents", agent), ifMatch: current.ETag());
        var reply = await _client.InvokeAsync("bob", agent);

        Assert.False(reply.Decision());
        Assert.Contains("unknown agent", reply.ReasonAdmin(), StringComparison.Ordinal);
    }
}
