using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Arbiter.Samples.Agent;

/// <summary>
/// A scripted "agent" over the official MCP client (Streamable HTTP): it gets tokens for alice through the HR assistant
/// and bob through the general assistant from the development issuer, and walks the seed's demo step by step.
/// </summary>
public sealed class DemoAgent(Uri mcp, Uri issuer, Uri arbiter, TextWriter output) : IAsyncDisposable
{
    // Indented and readable (quotes and < as they are): this is console output, never HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly HttpClient _http = new();
    private readonly List<McpClient> _clients = [];
    private int _step;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var alice = await ConnectAsync("alice", "hr-assistant", cancellationToken);
        var bob = await ConnectAsync("bob", "general-assistant", cancellationToken);

        Step("alice (HR) through hr-assistant lists the tools");
        Show("tools", string.Join(", ", (await alice.ListToolsAsync(cancellationToken: cancellationToken)).Select(t => t.Name)));

        Step("bob (sales) through general-assistant lists the tools — no HR tools");
        Show("tools", string.Join(", ", (await bob.ListToolsAsync(cancellationToken: cancellationToken)).Select(t => t.Name)));

        Step("bob calls sql-query — the tool exists and his agent is wired to its server, yet it is blocked");
        await CallAsync(bob, "sql-query", new Dictionary<string, object?> { ["sql"] = "SELECT name, salary FROM employees" }, cancellationToken);

        Step("alice looks up every employee — row filters applied (active, below executive grade), salary and national id redacted");
        await CallAsync(alice, "hr-lookup", new Dictionary<string, object?> { ["name"] = "" }, cancellationToken);

        Step("an operator suspends hr-assistant (kill switch, Arbiter admin API)");
        await AdminAsync("suspend", cancellationToken);
        Step("alice calls hr-lookup again — denied");
        await CallAsync(alice, "hr-lookup", new Dictionary<string, object?> { ["name"] = "Dana" }, cancellationToken);

        Step("the operator resumes hr-assistant — alice's call works again");
        await AdminAsync("resume", cancellationToken);
        await CallAsync(alice, "hr-lookup", new Dictionary<string, object?> { ["name"] = "Dana" }, cancellationToken);
        return 0;
    }

    private async Task<McpClient> ConnectAsync(string user, string agent, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(new Uri(issuer, "token"), new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = user, ["agent"] = agent }), cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["access_token"]!.GetValue<string>();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = mcp,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token, ["X-Request-ID"] = $"demo-{user}-{Guid.NewGuid():n}" },
        });
        var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
        _clients.Add(client);
        return client;
    }

    private async Task CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
            if (result.IsError == true)
            {
                Show("tool error", string.Join(" ", result.Content.OfType<TextContentBlock>().Select(t => t.Text)));
                return;
            }
            var body = result.StructuredContent is { } structured
                ? JsonSerializer.Serialize(structured, Indented)
                : string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));
            Show("permitted", body);
        }
        catch (McpProtocolException e)
        {
            Show("denied", $"{e.Data["reason"] ?? e.Message} (JSON-RPC {(int)e.ErrorCode}, decision {e.Data["decision_id"] ?? "-"})");
        }
    }

    private async Task AdminAsync(string verb, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(new Uri(arbiter, $"manage/v1/agents/hr-assistant/{verb}"), null, cancellationToken);
        Show("admin", $"POST /manage/v1/agents/hr-assistant/{verb} → {(int)response.StatusCode}");
        response.EnsureSuccessStatusCode();
    }

    private void Step(string title) => output.WriteLine($"\n[{++_step}] {title}");

    private void Show(string label, string text) => output.WriteLine($"    {label}: {text.Replace("\n", "\n    ", StringComparison.Ordinal)}");

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        _http.Dispose();
    }
}
