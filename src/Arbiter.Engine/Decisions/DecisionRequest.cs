using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>An entity in a request: a subject or a resource (AuthZEN shape).</summary>
public sealed record Entity(string Type, string Id, JsonElement Properties = default);

/// <summary>
/// A decision request. Principal context: <see cref="Subject"/> is a user and <see cref="AgentId"/> the agent acting
/// for them (AuthZEN <c>context.agent</c>). Agent-only: <see cref="Subject"/> is the agent and <see cref="AgentId"/> is null.
/// </summary>
public sealed record DecisionRequest(
    Entity Subject,
    string Action,
    Entity Resource,
    string? AgentId = null,
    JsonElement Context = default,
    JsonElement ActionProperties = default);

public static class SubjectTypes
{
    public const string User = "user";
    public const string Agent = "agent";
}

public static class ResourceTypes
{
    public const string Agent = "agent";
    public const string Tool = "tool";
    public const string McpServer = "mcp_server";
}

/// <summary>
/// One leg of a decision. Principal context has three: the user may invoke the agent (<c>user-invokes-agent</c>), the
/// agent holds a grant (<c>agent-grant</c>), the user is entitled (<c>user-entitlement</c>). Agent-only has the agent
/// grant and the owner's forbids (<c>owner-forbids</c>).
/// </summary>
public sealed record LegResult(
    string Name,
    bool Satisfied,
    IReadOnlyList<string> Permits,
    IReadOnlyList<string> Forbids,
    IReadOnlyList<string> Notes);

/// <summary>What shadow policies would have done: evaluated and logged, never enforced.</summary>
public sealed record ShadowResult(bool Decision, bool WouldChange, IReadOnlyList<string> Policies);

/// <summary>An answer and its explanation. A deny is a normal answer.</summary>
public sealed record Decision(
    bool Allowed,
    string DecisionId,
    long SnapshotVersion,
    string Mode,
    IReadOnlyList<LegResult> Legs,
    IReadOnlyList<string> MatchedPolicies,
    string ReasonAdmin,
    string ReasonUser,
    IReadOnlyList<Obligation> Obligations,
    ShadowResult? Shadow)
{
    public const string PrincipalMode = "principal";
    public const string AgentOnlyMode = "agentOnly";
}
