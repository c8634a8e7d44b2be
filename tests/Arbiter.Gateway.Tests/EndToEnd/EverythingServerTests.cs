using System.Text.Json.Nodes;
using Arbiter.Gateway.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway.Tests.EndToEnd;

/// <summary>
/// A server that is not .NET behind the gateway: the MCP project's reference server (TypeScript SDK on Node, SSE
/// answers, sessions), its tools registered in Arbiter under the server <c>everything</c> and some of them granted.
/// </summary>
public sealed class EverythingServerTests
{
    private static async Task<GatewayEnvironment> StartAsync()
    {
        var entry = EverythingServer.EntryPoint();
        Skip.If(entry is null, "infra/node_modules has no @modelcontextprotocol/server-everything: run `infra/servers.sh start azurite` (npm ci from the lockfile) first");
        var server = await EverythingServer.StartAsync(entry);
        GatewayEnvironment env;
        try
        {
            env = await GatewayEnvironment.StartAsync(new Dictionary<string, string?>
            {
                ["Gateway:Upstreams:everything:Url"] = server.Endpoint.ToString(),
                ["Gateway:Upstreams:everything:Arbiter:Tools:get-structured-content:Exposes:0:Type"] = "document",
                ["Gateway:Upstreams:everything:Arbiter:Tools:get-structured-content:Exposes:0:Id"] = "weather-report",
            });
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        env.Own(server);

        await env.PutDirectoryAsync("mcp-servers", "everything", new JsonObject { ["displayName"] = "Reference server", ["sensitivity"] = "public" });
        foreach (var tool in new[] { "echo", "get-sum", "get-structured-content" })
            await env.PutDirectoryAsync("tools", tool, new JsonObject { ["server"] = "everything", ["sensitivity"] = "public" });
        await env.RegisterAsync("document", "weather-report");
        // The HR assistant is granted two of the three registered tools; the rest of the server's tools are in no
        // policy, so nobody sees them. The weather report is shown to Alice with its humidity redacted.
        await env.CreatePolicyAsync(new JsonObject
        {
            ["id"] = "hr-assistant-everything",
            ["description"] = "The HR assistant may echo and read the weather.",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("tools/call", "tools/list"),
            ["agents"] = new JsonObject { ["ids"] = new JsonArray("hr-assistant") },
            ["resources"] = new JsonObject { ["ids"] = new JsonArray("echo", "get-structured-content") },
        });
        await env.CreatePolicyAsync(new JsonObject
        {
            ["id"] = "hr-assistant-weather-redacted",
            ["description"] = "The HR assistant shows weather reports without humidity.",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("response.expose"),
            ["agents"] = new JsonObject { ["ids"] = new JsonArray("hr-assistant") },
            ["resources"] = new JsonObject { ["ids"] = new JsonArray("weather-report") },
            ["obligations"] = new JsonArray(new JsonObject { ["id"] = "no-humidity", ["type"] = "redact", ["properties"] = new JsonObject { ["fields"] = new JsonArray("humidity") } }),
        });
        await env.CreatePolicyAsync(new JsonObject
        {
            ["id"] = "alice-weather",
            ["description"] = "Alice may see weather reports.",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("response.expose"),
            ["subjects"] = new JsonObject { ["users"] = new JsonArray("alice") },
            ["resources"] = new JsonObject { ["ids"] = new JsonArray("weather-report") },
        });
        return env;
    }

    [SkippableFact]
    public async Task ListTools_ReferenceServer_ListsOnlyGrantedTools()
    {
        await using var env = await StartAsync();
        var alice = await env.ConnectAsync("everything", "alice", "hr-assistant");

        var tools = await alice.ListToolsAsync();

        Assert.Equal(["echo", "get-structured-content"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task CallTool_GrantedEcho_ForwardedAndAnswered()
    {
        await using var env = await StartAsync();
        var alice = await env.ConnectAsync("everything", "alice", "hr-assistant");

        var result = await alice.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "through the gateway" });

        Assert.Equal("Echo: through the gateway", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [SkippableFact]
    public async Task CallTool_RegisteredButNotGranted_DeniedBeforeTheServer()
    {
        await using var env = await StartAsync();
        var alice = await env.ConnectAsync("everything", "alice", "hr-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("get-sum", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
    }

    [SkippableFact]
    public async Task CallTool_StructuredContentOverSse_RedactedFieldRemovedFromBothForms()
    {
        await using var env = await StartAsync();
        var alice = await env.ConnectAsync("everything", "alice", "hr-assistant");

        var result = await alice.CallToolAsync("get-structured-content", new Dictionary<string, object?> { ["location"] = "Chicago" });

        var structured = result.StructuredContent!.Value;
        Assert.Equal(36, structured.GetProperty("temperature").GetInt32());
        Assert.False(structured.TryGetProperty("humidity", out _));
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Contains("temperature", text, StringComparison.Ordinal);
        Assert.DoesNotContain("humidity", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Complete_MethodTheGatewayCannotAuthorize_Denied()
    {
        await using var env = await StartAsync();
        var alice = await env.ConnectAsync("everything", "alice", "hr-assistant");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CompleteAsync(new PromptReference { Name = "simple-prompt" }, "x", "y").AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
    }
}
