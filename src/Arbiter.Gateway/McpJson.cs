using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway;

/// <summary>MCP's protocol types to and from JSON with the SDK's own serializer settings (the wire format the SDK speaks).</summary>
public static class McpJson
{
    private static readonly JsonTypeInfo<CallToolResult> CallToolResultInfo = (JsonTypeInfo<CallToolResult>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolResult));

    public static JsonNode ToNode(CallToolResult result) => JsonSerializer.SerializeToNode(result, CallToolResultInfo)!;

    public static CallToolResult? ToCallToolResult(JsonNode node) => node.Deserialize(CallToolResultInfo);
}
