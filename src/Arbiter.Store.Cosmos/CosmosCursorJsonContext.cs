using System.Text.Json.Serialization;

namespace Arbiter.Store.Cosmos;

/// <summary>Source-generated JSON for <see cref="CosmosCursor"/>.</summary>
[JsonSerializable(typeof(CosmosCursor))]
internal sealed partial class CosmosCursorJsonContext : JsonSerializerContext;
