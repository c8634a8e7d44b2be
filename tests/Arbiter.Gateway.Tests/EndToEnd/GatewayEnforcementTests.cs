using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Arbiter.Gateway.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway.Tests.EndToEnd;

/// <summary>
/// The official MCP client → the gateway → the sample HR server (no Arbiter.Mcp in it) and a plain SDK server, with
/// the self-hosted Arbiter on the demo tenant deciding. Each test starts its own servers.
/// </summary>
// MetaHrServer.Runs counts tool runs process-wide: the classes that assert on it do not run side by side.
[Collection(MetaHrServer.RunsCollection)]
public sealed class GatewayEnforcementTests
{
    [Fact]
    public async Task ListTools_AliceThroughHrAssistant_SeesHrToolsNotSql()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("hr", "alice", "hr-assistant");

        var tools = await alice.ListToolsAsync();

        Assert.Equal(["docs-search", "hr-lookup", "hr-policies"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListTools_BobThroughGeneralAssistant_SeesOnlyDocs()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var bob = await env.ConnectAsync("hr", "bob", "general-assistant");

        var tools = await bob.ListToolsAsync();

        Assert.Equal(["docs-search"], tools.Select(t => t.Name));
    }

    [Fact]
    public async Task CallTool_BobRunsSql_DeniedWithPolicyReasonAndDecisionId()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var bob = await env.ConnectAsync("hr", "bob", "general-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => bob.CallToolAsync("sql-query", new Dictionary<string, object?> { ["sql"] = "SELECT name, salary FROM employees" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal("This action is blocked by your organisation's policy.", error.Data["reason"]);
        Assert.IsType<string>(error.Data["decision_id"]);
    }

    [Fact]
    public async Task CallTool_AliceSearchesDocs_ForwardedWithTheGatewaysOwnToken()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("hr", "alice", "hr-assistant");

        var result = await alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "onboarding" });

        Assert.NotEqual(true, result.IsError);
        Assert.Contains("Onboarding guide", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_RowFilteredToolOnUpstreamThatCannotApplyThem_Denied()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("hr", "alice", "hr-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("hr-lookup", new Dictionary<string, object?> { ["name"] = "" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal("This action is blocked: a condition attached to it cannot be met here.", error.Data["reason"]);
    }

    [Fact]
    public async Task CallTool_AliceLooksUpEmployees_RowFiltersReachUpstreamInMetaAndPayRedacted()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var result = await alice.CallToolAsync("hr-lookup");

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        var employees = structured.GetProperty("employees").EnumerateArray().ToList();
        Assert.Equal(["E-1001"], employees.Select(e => e.GetProperty("id").GetString()));
        Assert.All(employees, e =>
        {
            Assert.False(e.TryGetProperty("salary", out _));
            Assert.False(e.TryGetProperty("nationalId", out _));
            Assert.True(e.TryGetProperty("name", out _));
        });
        Assert.Equal(["employment_status = 'active'", "grade < 'E1'"], structured.GetProperty("appliedRowFilters").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.DoesNotContain("salary", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AB123456C", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hr-lookup", "grade < 'E1'")]
    [InlineData("hr-policies", "row filters: none")]
    public async Task CallTool_CallerSendsItsOwnRowFilters_OnlyArbitersReachTheUpstream(string tool, string expected)
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        using var request = Post(env, "meta", env.Issuer.MintDelegated("alice", "hr-assistant", GatewayEnvironment.GatewayAudience),
            """{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"TOOL","arguments":{"topic":"leave"},"_meta":{"arbiter/rowFilters":[{"id":"mine","filter":"grade < 'Z9'"}],"progressToken":"p1"}}}""".Replace("TOOL", tool, StringComparison.Ordinal));

        using var response = await http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Z9", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_AgentSuspended_NextCallDenied()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("hr", "alice", "hr-assistant");
        await alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" });

        await env.SetSuspendedAsync("hr-assistant", suspended: true);
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
    }

    [Fact]
    public async Task ListResourceTemplates_MethodTheGatewayCannotAuthorize_Denied()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.ListResourceTemplatesAsync().AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal("The method 'resources/templates/list' is not allowed through this gateway.", error.Data["reason"]);
    }

    [Theory]
    [InlineData("Mcp-Method", "tools/list")]
    [InlineData("Mcp-Name", "docs-search")]
    public async Task Post_HeaderContradictsBody_Rejected400(string header, string value)
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        using var request = Post(env, "meta", env.Issuer.MintDelegated("alice", "hr-assistant", GatewayEnvironment.GatewayAudience),
            """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hr-policies","arguments":{"topic":"leave"}}}""");
        request.Headers.TryAddWithoutValidation(header, value);
        var runs = MetaHrServer.Runs;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(-32600, (int)body["error"]!["code"]!);
        Assert.Contains(header, (string)body["error"]!["message"]!, StringComparison.Ordinal);
        Assert.Equal(3, (int)body["id"]!);
        Assert.Equal(runs, MetaHrServer.Runs);
    }

    [Fact]
    public async Task Post_HeadersAgreeWithBody_Forwarded()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");
        await alice.ListToolsAsync();
        using var http = new HttpClient();
        using var request = Post(env, "meta", env.Issuer.MintDelegated("alice", "hr-assistant", GatewayEnvironment.GatewayAudience),
            """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"hr-policies","arguments":{"topic":"leave"}}}""");
        request.Headers.TryAddWithoutValidation("Mcp-Method", "tools/call");
        request.Headers.TryAddWithoutValidation("Mcp-Name", "hr-policies");

        using var response = await http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Contains("Annual leave", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_NoToken_Unauthorized()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        using var request = Post(env, "hr", null, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_TokenForAnotherAudience_Unauthorized()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        // A token for the HR server itself: the gateway accepts only tokens whose audience is the gateway.
        using var request = Post(env, "hr", env.Issuer.MintDelegated("alice", "hr-assistant"), """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Connect_TokenNamingNoAgent_RefusedAtInitialize()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var token = env.Issuer.Mint(GatewayEnvironment.GatewayAudience, new Dictionary<string, object> { ["oid"] = "alice", ["sub"] = "alice" });

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => env.ConnectWithTokenAsync("hr", token));

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Contains("names no agent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_Batch_Rejected()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        using var request = Post(env, "meta", env.Issuer.MintDelegated("bob", "general-assistant", GatewayEnvironment.GatewayAudience),
            """[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hr-lookup"}}]""");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(-32600, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!);
    }

    internal static HttpRequestMessage Post(GatewayEnvironment env, string upstream, string? token, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, env.Route(upstream)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
