using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbiter.Runtime.Policies;

/// <summary>One saved state of a policy (<see cref="Policy"/> is null for a deletion).</summary>
public sealed record PolicyVersion(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("savedAt")] DateTimeOffset SavedAt,
    [property: JsonPropertyName("savedBy")] string SavedBy,
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("policy")] JsonElement? Policy);
