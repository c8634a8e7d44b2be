using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Mcp.Tests.Infrastructure;
using Arbiter.Samples.DevIssuer;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using static Arbiter.Mcp.Tests.Infrastructure.ScriptedPdp;

namespace Arbiter.Mcp.Tests.Mcp;

/// <summary>
/// The filters on a real MCP server (Kestrel, Streamable HTTP, JWT bearer from the development issuer) with the
/// official MCP client, against a scripted PDP, so each enforcement rule is seen in isolation.
/// </summary>
public sealed class ArbiterMcpFilterTests : IAsyncLifetime
{
    private DevIssuer _issuer = null!;
    private Func<JsonObject, JsonObject> _decide = _ => Deny();
    private FakePdp _pdp = null!;
    private ConcurrentQueue<Item> _items = null!;

    public async Task InitializeAsync()
    {
        _issuer = await DevIssuer.StartAsync(new Uri("http://127.0.0.1:0"));
        (_pdp, _items) = await ScriptedPdp.StartAsync(item => _decide(item));
    }

    public async Task DisposeAsync()
    {
        await _pdp.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    private Task<McpTestHost> HostAsync(IDictionary<string, string?>? settings = null) => McpTestHost.StartAsync(_issuer, _pdp.BaseAddress, settings);

    private string Alice => _issuer.MintDelegated("alice", "hr-assistant");

    [Fact]
    public async Task ListTools_PdpPermitsOneTool_ListsOnlyThatTool()
    {
        _decide = item => ResourceId(item) == "record" ? Permit() : Deny();
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice, requestId: "req-list-1");

        var tools = await client.ListToolsAsync();

        Assert.Equal(["record"], tools.Select(t => t.Name));
        var asked = _items.Where(i => Action(i.Request) == "tools/call").ToList();
        Assert.Equal(3, asked.Count);
        Assert.All(asked, i =>
        {
            Assert.Equal("user", (string?)i.Request["subject"]!["type"]);
            Assert.Equal("alice", (string?)i.Request["subject"]!["id"]);
            Assert.Equal("hr-assistant", (string?)i.Request["context"]!["agent"]!["id"]);
            Assert.Equal(McpTestHost.ServerId, (string?)i.Request["resource"]!["properties"]!["server"]);
            Assert.Equal("req-list-1", i.RequestId);
        });
    }

    [Fact]
    public async Task CallTool_Denied_JsonRpcErrorWithReasonDecisionIdAndEnvelope()
    {
        _decide = _ => Deny("d-9", "Blocked by policy.");
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);
        var runs = TestTools.Runs;

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "alice" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Contains("Blocked by policy.", error.Message, StringComparison.Ordinal);
        Assert.Equal("Blocked by policy.", error.Data["reason"]);
        Assert.Equal("d-9", error.Data["decision_id"]);
        var envelope = ((JsonElement)error.Data["_meta"]!).GetProperty("io.modelcontextprotocol/authorization");
        Assert.Equal("insufficient_authorization", envelope.GetProperty("reason").GetString());
        Assert.Equal("d-9", envelope.GetProperty("authorizationContextId").GetString());
        Assert.Equal(runs, TestTools.Runs);
    }

    [Fact]
    public async Task CallTool_DeniedWithToolErrorStyle_ReturnsIsErrorWithEnvelope()
    {
        _decide = _ => Deny("d-10", "Not for you.");
        await using var host = await HostAsync(new Dictionary<string, string?> { ["Arbiter:Mcp:DenialStyle"] = "ToolError" });
        var client = await host.ConnectAsync(Alice);

        var result = await client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "alice" });

        Assert.True(result.IsError);
        Assert.Contains("Not for you. (decision d-10)", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
        Assert.Equal("d-10", (string?)result.Meta!["io.modelcontextprotocol/authorization"]!["authorizationContextId"]);
    }

    [Fact]
    public async Task CallTool_PdpAnswers503_FailsClosedWithInternalError()
    {
        await using var down = await FakePdp.StartAsync(503, "{}");
        await using var host = await McpTestHost.StartAsync(_issuer, down.BaseAddress);
        var client = await host.ConnectAsync(Alice);
        var runs = TestTools.Runs;

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "x" }).AsTask());

        Assert.Equal(McpErrorCode.InternalError, error.ErrorCode);
        Assert.Equal(runs, TestTools.Runs);
        var listError = await Assert.ThrowsAsync<McpProtocolException>(() => client.ListToolsAsync().AsTask());
        Assert.Equal(McpErrorCode.InternalError, listError.ErrorCode);
    }

    [Fact]
    public async Task CallTool_PermitWithUnknownObligation_Denied()
    {
        _decide = _ => Permit("d-11", [Obligation("wm", "watermark", new JsonObject { ["text"] = "x" })]);
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);
        var runs = TestTools.Runs;

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "x" }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Equal("d-11", error.Data["decision_id"]);
        Assert.Equal(runs, TestTools.Runs);
    }

    [Fact]
    public async Task CallTool_RedactObligations_RemoveFieldsFromStructuredAndTextContent()
    {
        _decide = item => Action(item) == "response.expose"
            ? Permit("d-x", [Obligation("pay", "redact", new JsonObject { ["fields"] = new JsonArray("salary") }),
                             Obligation("restricted", "redact", new JsonObject { ["classifications"] = new JsonArray("restricted") })])
            : Permit();
        await using var host = await HostAsync(new Dictionary<string, string?>
        {
            ["Arbiter:Mcp:Tools:record:Exposes:0:Type"] = "document",
            ["Arbiter:Mcp:Tools:record:Exposes:0:Id"] = "employee-record",
            ["Arbiter:Mcp:Tools:record:FieldClassifications:nationalId"] = "restricted",
        });
        var client = await host.ConnectAsync(Alice);

        var result = await client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "Dana" });

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        Assert.Equal("Dana", structured.GetProperty("name").GetString());
        Assert.False(structured.TryGetProperty("salary", out _));
        Assert.False(structured.TryGetProperty("nationalId", out _));
        Assert.False(structured.GetProperty("manager").TryGetProperty("salary", out _));
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.DoesNotContain("salary", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NI-123", text, StringComparison.Ordinal);
        Assert.Contains("Dana", text, StringComparison.Ordinal);
        Assert.Contains(_items, i => Action(i.Request) == "response.expose" && ResourceId(i.Request) == "employee-record");
    }

    [Fact]
    public async Task CallTool_RedactOnPlainText_WithholdsAnswer()
    {
        _decide = _ => Permit("d-p", [Obligation("pay", "redact", new JsonObject { ["fields"] = new JsonArray("salary") })]);
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);

        var result = await client.CallToolAsync("plain");

        Assert.True(result.IsError);
        Assert.DoesNotContain("90000", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallTool_RowFilterObligations_ReachTheHandler()
    {
        _decide = item => Action(item) == "data.read"
            ? Permit("d-r", [Obligation("active", "rowFilter", new JsonObject { ["filter"] = "status = 'active'" }),
                             Obligation("grade", "rowFilter", new JsonObject { ["filter"] = "grade < 'E1'" })])
            : Permit();
        await using var host = await HostAsync(new Dictionary<string, string?>
        {
            ["Arbiter:Mcp:Tools:filters:Reads:0:Type"] = "dataset",
            ["Arbiter:Mcp:Tools:filters:Reads:0:Id"] = "employees",
        });
        var client = await host.ConnectAsync(Alice);

        var result = await client.CallToolAsync("filters");

        var filters = JsonNode.Parse(Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text)!.AsArray();
        Assert.Equal(["status = 'active'", "grade < 'E1'"], filters.Select(f => (string?)f!["filter"]));
    }

    [Fact]
    public async Task CallTool_RowFilterWithoutFilter_Denied()
    {
        _decide = _ => Permit("d-bad", [Obligation("broken", "rowFilter", new JsonObject())]);
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("filters").AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
    }

    [Fact]
    public async Task CallTool_Arguments_SentAsContextArguments()
    {
        _decide = _ => Permit();
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);

        await client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "Dana" });

        var call = Assert.Single(_items, i => Action(i.Request) == "tools/call");
        Assert.Equal("Dana", (string?)call.Request["context"]!["arguments"]!["name"]);
        Assert.Equal("record", ResourceId(call.Request));
    }

    [Fact]
    public async Task CallTool_ArgumentsOverLimit_DeniedWithoutAsking()
    {
        _decide = _ => Permit();
        await using var host = await HostAsync(new Dictionary<string, string?> { ["Arbiter:Mcp:MaxArgumentBytes"] = "16" });
        var client = await host.ConnectAsync(Alice);

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = new string('x', 64) }).AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.DoesNotContain(_items, i => Action(i.Request) == "tools/call");
    }

    [Fact]
    public async Task ListTools_TokenWithoutAgentClaim_Refused()
    {
        _decide = _ => Permit();
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(_issuer.Mint(DevIssuer.DefaultAudience, new Dictionary<string, object> { ["oid"] = "alice", ["scp"] = "mcp.tools" }));

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.ListToolsAsync().AsTask());

        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.Contains("names no agent", error.Message, StringComparison.Ordinal);
        Assert.Empty(_items);
    }

    [Fact]
    public async Task CallTool_AgentOnlyToken_SubjectIsTheAgent()
    {
        _decide = _ => Permit();
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(_issuer.MintAgentOnly("recon-agent"));

        await client.CallToolAsync("record", new Dictionary<string, object?> { ["name"] = "x" });

        var call = Assert.Single(_items, i => Action(i.Request) == "tools/call");
        Assert.Equal("agent", (string?)call.Request["subject"]!["type"]);
        Assert.Equal("recon-agent", (string?)call.Request["subject"]!["id"]);
        Assert.Null(call.Request["context"]?["agent"]);
    }

    [Fact]
    public async Task Resources_ListFilteredAndReadDecided()
    {
        _decide = item => ResourceId(item) == "docs://handbook" ? Permit() : Deny("d-sec");
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);

        var resources = await client.ListResourcesAsync();
        var handbook = await client.ReadResourceAsync("docs://handbook");
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.ReadResourceAsync("docs://secrets").AsTask());

        Assert.Equal(["docs://handbook"], resources.Select(r => r.Uri));
        Assert.Contains("the handbook", Assert.IsType<TextResourceContents>(Assert.Single(handbook.Contents)).Text, StringComparison.Ordinal);
        Assert.Equal("d-sec", error.Data["decision_id"]);
        Assert.All(_items, i => Assert.Equal("data.read", Action(i.Request)));
    }

    [Fact]
    public async Task Prompts_ListFilteredAndGetDecided()
    {
        _decide = item => ResourceId(item) == "greet" ? Permit() : Deny("d-esc");
        await using var host = await HostAsync();
        var client = await host.ConnectAsync(Alice);

        var prompts = await client.ListPromptsAsync();
        var greet = await client.GetPromptAsync("greet");
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.GetPromptAsync("escalate").AsTask());

        Assert.Equal(["greet"], prompts.Select(p => p.Name));
        Assert.Single(greet.Messages);
        Assert.Equal(-32003, (int)error.ErrorCode);
        Assert.All(_items, i => Assert.Equal("prompts/get", Action(i.Request)));
    }
}
