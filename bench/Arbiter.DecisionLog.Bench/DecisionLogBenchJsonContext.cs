using System.Text.Json.Serialization;

namespace Arbiter.DecisionLog.Bench;

/// <summary>The bench's own JSON (the string dictionary of a coded document).</summary>
[JsonSerializable(typeof(List<string>))]
internal sealed partial class DecisionLogBenchJsonContext : JsonSerializerContext;
