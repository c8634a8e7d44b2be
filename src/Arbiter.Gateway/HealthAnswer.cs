using System.Text.Json.Serialization;

namespace Arbiter.Gateway;

/// <summary>The <c>/health</c> answer: the gateway process is up (each upstream's health is its own).</summary>
public sealed record HealthAnswer(string Status);

[JsonSerializable(typeof(HealthAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class GatewayHealthJsonContext : JsonSerializerContext;
