using System.Text.Json.Serialization;

namespace Arbiter.Runtime.Replay;

/// <summary>The resource properties a replayed request carries (<c>{"server": ...}</c>).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ReplayRequestJsonContext : JsonSerializerContext;
