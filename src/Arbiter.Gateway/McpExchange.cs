using System.Text.Json.Nodes;
using Arbiter.Mcp;

namespace Arbiter.Gateway;

/// <summary>
/// A JSON-RPC request the gateway let through and whose answer it must still act on: a list to filter, or a tool
/// result to redact. Kept on the HTTP request (<see cref="ItemKey"/>) for the response transform.
/// </summary>
public sealed record McpExchange(string Upstream, JsonNode? Id, string Method, McpCaller Caller, string RequestId, IReadOnlySet<string> RedactedFields)
{
    public const string ItemKey = "Arbiter.Gateway.Exchange";
}
