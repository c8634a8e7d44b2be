using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using Arbiter.Mcp;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway;

/// <summary>
/// JSON-RPC 2.0 messages as the gateway writes them. Refusals use exactly the shapes <c>Arbiter.Mcp</c> produces in an
/// MCP server (<see cref="McpDenials"/>), so an agent sees the same denial behind the gateway as in front of a .NET server.
/// </summary>
public static class JsonRpc
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int InternalError = -32603;

    /// <summary>How the gateway writes JSON: reasons stay readable (<c>'</c>, not <c>\u0027</c>); the body is JSON, never HTML.</summary>
    public static readonly JsonSerializerOptions WireOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject Error(JsonNode? id, int code, string message, JsonObject? data = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (data is not null)
            error["data"] = data;
        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["error"] = error };
    }

    /// <summary>The error an MCP server built on the C# SDK sends for <paramref name="exception"/>: its code, message and data.</summary>
    public static JsonObject Error(JsonNode? id, McpProtocolException exception)
    {
        var data = new JsonObject();
        foreach (System.Collections.DictionaryEntry entry in exception.Data)
        {
            data[entry.Key.ToString()!] = entry.Value switch
            {
                System.Text.Json.JsonElement element => JsonNode.Parse(element.GetRawText()),
                JsonNode node => node.DeepClone(),
                string text => text,
                _ => entry.Value?.ToString(),
            };
        }
        return Error(id, (int)exception.ErrorCode, exception.Message, data.Count > 0 ? data : null);
    }

    public static JsonObject Result(JsonNode? id, JsonNode result) => new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["result"] = result };

    /// <summary>A tool denial as the configured style wants it: a JSON-RPC error, or a <c>CallToolResult</c> with <c>isError</c>.</summary>
    public static JsonObject ToolDenial(JsonNode? id, AccessDecision decision, ArbiterMcpOptions options) =>
        options.DenialStyle == McpDenialStyle.ToolError
            ? Result(id, McpJson.ToNode(McpDenials.DeniedResult(decision)))
            : Error(id, McpDenials.Denied(decision, options.DenialErrorCode));

    public static JsonObject Denial(JsonNode? id, AccessDecision decision, ArbiterMcpOptions options) => Error(id, McpDenials.Denied(decision, options.DenialErrorCode));

    public static JsonObject Unavailable(JsonNode? id, AccessDecision decision) => Error(id, McpDenials.Unavailable(decision));

    public static JsonObject Withheld(JsonNode? id) =>
        Result(id, McpJson.ToNode(new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = Redactor.Withheld }] }));
}
