using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;

namespace Arbiter.Api.Tests;

/// <summary>
/// The one pipeline at the edge: whatever a handler throws becomes a problem (never an empty 500, never internals);
/// the store unavailable is a 503 with Retry-After; ambiguous JSON (duplicate members) is refused with the path.
/// Each test restores the store switch it set.
/// </summary>
public sealed class EdgeTests(FaultyStoreServer server) : IClassFixture<FaultyStoreServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task AnyRoute_HandlerThrowsUnexpectedly_500ProblemWithoutInternals()
    {
        server.Store.FaultWrites = false;
        server.Store.Fault = () => new InvalidOperationException("secret-internal-detail");
        try
        {
            var reply = await _client.GetReplyAsync(AdminApi.Policies, requestId: "edge-500");

            Assert.Equal(HttpStatusCode.InternalServerError, reply.Status);
            Assert.Equal("application/problem+json", reply.ContentType);
            Assert.DoesNotContain("secret-internal-detail", reply.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("InvalidOperationException", reply.Text, StringComparison.Ordinal);
            Assert.Equal("edge-500", reply.Json.GetProperty("requestId").GetString());
            Assert.Equal("edge-500", reply.Header("X-Request-ID"));
        }
        finally
        {
            server.Store.Fault = null;
        }
    }

    [Fact]
    public async Task AdminWrite_StoreUnavailable_503WithRetryAfter()
    {
        server.Store.FaultWrites = true;
        server.Store.Fault = () => new StoreUnavailableException("the store is down (test)");
        try
        {
            var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", AdminApi.NewId("edge")), AdminApi.Agent());

            Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.Status);
            Assert.Equal("application/problem+json", reply.ContentType);
            Assert.Equal("5", reply.Header("Retry-After"));
        }
        finally
        {
            server.Store.Fault = null;
        }
    }

    [Theory]
    [InlineData("!!!!")]
    [InlineData("not-a-token")]
    public async Task ListPolicies_InvalidContinuation_400NamingIt(string continuation)
    {
        var reply = await _client.GetReplyAsync($"{AdminApi.Policies}?continuation={Uri.EscapeDataString(continuation)}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("continuation", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task CreatePolicy_DuplicateEffect_400NamingThePathAndNothingStored()
    {
        var id = AdminApi.NewId("dup");
        var body = $$"""{"id":"{{id}}","effect":"forbid","actions":["agent.invoke"],"subjects":{"users":["alice"]},"agents":{"ids":["hr-assistant"]},"effect":"permit"}""";

        var reply = await _client.PostAsync(AdminApi.Policies, body);
        var stored = await _client.FetchAsync(AdminApi.Policy(id));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/effect", reply.Json.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, stored.Status);
    }

    [Fact]
    public async Task DirectoryPut_DuplicateNestedMember_400NamingThePath()
    {
        var reply = await _client.SendAsync(AdminApi.Directory("agents", AdminApi.NewId("dup")),
            new StringContent("""{"enabled":true,"suspended":false,"tags":["a"],"attributes":{"x":1,"x":2}}""", System.Text.Encoding.UTF8, "application/json"),
            method: HttpMethod.Put);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/attributes/x", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluation_DuplicateSubject_400NotADecision()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation,
            """{"subject":{"type":"user","id":"bob"},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/subject", reply.Json.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("""{"evaluations":[{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"bulk":false,"bulk":true}}]}""", "/evaluations/0/context/bulk")]
    [InlineData("""{"subject":{"type":"user","id":"alice","properties":{"dept":{"x":1,"x":2}}},"evaluations":[{"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}]}""", "/subject/properties/dept/x")]
    [InlineData("""{"evaluations":[{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant","id":"general-assistant"}}]}""", "/evaluations/0/resource/id")]
    public async Task Evaluations_DuplicateInsideAnItem_400NamingThePath(string body, string field)
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(field, reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluation_BatchBodyWithoutTopLevelResource_400NamingIt()
    {
        // A body the one-pass reader reads (its items are complete) but whose top level is not one evaluation.
        var reply = await _client.PostAsync(Pdp.Evaluation,
            """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"evaluations":[{"resource":{"type":"agent","id":"hr-assistant"}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/resource", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Suspend_AgentStoredWithDuplicateMembers_StillSuspendsAndDenies()
    {
        // A document written before duplicates were refused (straight into the store, as an old import did).
        var id = await _client.CreateInvokableAgentAsync();
        using var legacy = JsonDocument.Parse($$"""{"id":"{{id}}","displayName":"x","enabled":true,"suspended":false,"owner":"erin","owner":"erin","sponsors":["alice"]}""");
        var store = (IDocumentStore)server.Services.GetService(typeof(IDocumentStore))!;
        await store.PutAsync(server.SeedTenant, DocumentKinds.Agent, id, legacy.RootElement.Clone(), "*");

        var suspend = await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{id}/suspend");
        var after = await _client.InvokeAsync("alice", id);

        Assert.Equal(HttpStatusCode.OK, suspend.Status);
        Assert.False(after.Decision());
        Assert.Contains("suspended", after.ReasonAdmin(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_FormatNotAString_400NamingIt()
    {
        var reply = await _client.PostAsync(AdminApi.Import, """{"format":42,"policies":[]}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("/format", reply.Json.GetProperty("field").GetString());
    }
}
