using System.Text.Json.Serialization;

namespace Arbiter.Runtime.Replay;

/// <summary>
/// What a replay found: how many recorded decisions it read and re-decided, how many would flip under the candidate
/// policies (each way), the flips grouped by who, which agent, which action and which resource, and the first flips
/// themselves with both reasons. <see cref="Truncated"/> says the read stopped at the record limit before the range ended.
/// </summary>
public sealed record ReplayReport(
    DateTimeOffset From,
    DateTimeOffset To,
    int Read,
    int Flipped,
    int PermitToDeny,
    int DenyToPermit,
    int RecordedDiffers,
    bool Truncated,
    IReadOnlyList<ReplayGroup> Groups,
    IReadOnlyList<ReplayFlip> Flips,
    bool FlipsTruncated,
    IReadOnlyList<string> Notes);

/// <summary>Flips with the same direction, agent, action and resource; <see cref="Subjects"/> is how many distinct subjects.</summary>
public sealed record ReplayGroup(string Change, string? AgentId, string Action, string ResourceType, string ResourceId, int Count, int Subjects);

/// <summary>
/// One decision that would flip: the recorded decision's identity and who/what it was about, the answer the current
/// policies give when it is re-decided (<see cref="Before"/>, <see cref="BeforeReason"/>), the candidate's answer, and
/// what was recorded at the time.
/// </summary>
public sealed record ReplayFlip(
    string DecisionId,
    DateTimeOffset Time,
    string SubjectType,
    string SubjectId,
    string? AgentId,
    string Action,
    string ResourceType,
    string ResourceId,
    string? ResourceServer,
    bool Recorded,
    bool Before,
    bool After,
    string BeforeReason,
    string AfterReason,
    IReadOnlyList<string> AfterPolicies);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReplayReport))]
public sealed partial class ReplayJsonContext : JsonSerializerContext;
