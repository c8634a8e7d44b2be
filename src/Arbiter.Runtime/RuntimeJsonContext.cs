using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Arbiter.Runtime;

/// <summary>The documents the runtime writes itself (versions, audit records, read-modify-writes).</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
