using Arbiter.Gateway.Tests.Infrastructure;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway.Tests.EndToEnd;

/// <summary>An upstream answering in plain JSON (not SSE): lists filtered and results redacted in that form too.</summary>
public sealed class JsonModeTests
{
    private static async Task<GatewayEnvironment> StartAsync(JsonModeServer server, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Upstreams:json:Url"] = server.Endpoint.ToString(),
            ["Gateway:Upstreams:json:Arbiter:ServerId"] = "hr-mcp",
            ["Gateway:Upstreams:json:Arbiter:Tools:hr-lookup:Exposes:0:Type"] = "document",
            ["Gateway:Upstreams:json:Arbiter:Tools:hr-lookup:Exposes:0:Id"] = "employee-record",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
            settings[key] = value;
        var env = await GatewayEnvironment.StartAsync(settings);
        env.Own(server);
        return env;
    }

    [Fact]
    public async Task ListTools_JsonAnswer_FilteredAndUnknownToolListedToNoOne()
    {
        await using var env = await StartAsync(await JsonModeServer.StartAsync());
        var alice = await env.ConnectAsync("json", "alice", "hr-assistant");

        var tools = await alice.ListToolsAsync();

        Assert.Equal(["hr-lookup", "hr-policies"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CallTool_JsonAnswer_PayRedactedFromStructuredAndText()
    {
        await using var env = await StartAsync(await JsonModeServer.StartAsync());
        var alice = await env.ConnectAsync("json", "alice", "hr-assistant");

        var result = await alice.CallToolAsync("hr-lookup");

        var employee = Assert.Single(result.StructuredContent!.Value.GetProperty("employees").EnumerateArray());
        Assert.Equal("Dana Scott", employee.GetProperty("name").GetString());
        Assert.False(employee.TryGetProperty("salary", out _));
        Assert.False(employee.TryGetProperty("nationalId", out _));
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.DoesNotContain("85000", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AB123456C", text, StringComparison.Ordinal);
    }
}
