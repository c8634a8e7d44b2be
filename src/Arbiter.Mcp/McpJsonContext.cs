using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Arbiter.Mcp;

[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(string))]
internal sealed partial class McpJsonContext : JsonSerializerContext;
