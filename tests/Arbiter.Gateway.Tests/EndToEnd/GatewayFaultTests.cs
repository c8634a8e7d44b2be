using Arbiter.Gateway.Tests.Infrastructure;
using ModelContextProtocol;

namespace Arbiter.Gateway.Tests.EndToEnd;

/// <summary>What the agent sees when something behind the gateway is gone: Arbiter (fail closed) or the MCP server (a clear error, at once).</summary>
// MetaHrServer.Runs counts tool runs process-wide: the classes that assert on it do not run side by side.
[Collection(MetaHrServer.RunsCollection)]
public sealed class GatewayFaultTests
{
    [Fact]
    public async Task CallTool_ArbiterStoppedMidSession_FailsClosedWithInternalError()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");
        await alice.CallToolAsync("hr-policies", new Dictionary<string, object?> { ["topic"] = "leave" });
        var runs = MetaHrServer.Runs;

        await env.StopArbiterAsync();
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.CallToolAsync("hr-policies", new Dictionary<string, object?> { ["topic"] = "leave" }).AsTask());

        Assert.Equal(McpErrorCode.InternalError, error.ErrorCode);
        Assert.Equal("Authorization is unavailable right now, so this action is blocked.", error.Data["reason"]);
        Assert.Equal(runs, MetaHrServer.Runs);
    }

    [Fact]
    public async Task ListTools_ArbiterStoppedMidSession_FailsClosedInsteadOfListingUnfiltered()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        await env.StopArbiterAsync();
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.ListToolsAsync().AsTask());

        Assert.Equal(McpErrorCode.InternalError, error.ErrorCode);
    }

    [Fact]
    public async Task CallTool_UpstreamStopped_ClearErrorNamingTheServer()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        var alice = await env.ConnectAsync("hr", "alice", "hr-assistant");

        await env.StopHrServerAsync();
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => alice.CallToolAsync("docs-search", new Dictionary<string, object?> { ["query"] = "travel" }).AsTask());

        // The client surfaces the gateway's 502 with its JSON-RPC error, which names the server that is down.
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Contains("The MCP server 'hr' cannot be reached.", error.Message, StringComparison.Ordinal);
    }
}
