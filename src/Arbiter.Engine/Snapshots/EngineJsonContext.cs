using System.Text.Json.Serialization;

namespace Arbiter.Engine.Snapshots;

/// <summary>The JSON the engine itself writes (explanations of group sets).</summary>
[JsonSerializable(typeof(Dictionary<string, SortedSet<string>>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
