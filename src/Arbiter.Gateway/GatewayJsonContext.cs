using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Arbiter.Gateway;

[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
