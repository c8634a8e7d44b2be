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

/// <summary>
/// An answer and its explanation. A deny is a normal answer.
/// The engine decides first and explains on demand: the decision id, the legs, the matched policy ids, the admin
/// reason, the obligations and the shadow result are formatted the first time one of them is read, from what the
/// evaluation recorded (all immutable), so a caller that needs only <see cref="Allowed"/> does not pay for the prose.
/// </summary>
public sealed class Decision
{
    public const string PrincipalMode = "principal";
    public const string AgentOnlyMode = "agentOnly";

    private readonly Snapshots.DecisionTrace _trace;
    private readonly DecisionIds.Reserved _reservedId;
    private readonly string? _reasonUser;
    private string? _decisionId;
    private Explanation? _explanation;

    /// <summary>A decision whose explanation is already written out (fail-closed answers outside the engine, tests).</summary>
    public Decision(
        bool allowed,
        string decisionId,
        long snapshotVersion,
        string mode,
        IReadOnlyList<LegResult> legs,
        IReadOnlyList<string> matchedPolicies,
        string reasonAdmin,
        string reasonUser,
        IReadOnlyList<Obligation> obligations,
        ShadowResult? shadow)
    {
        Allowed = allowed;
        _decisionId = decisionId;
        SnapshotVersion = snapshotVersion;
        Mode = mode;
        _reasonUser = reasonUser;
        _explanation = new Explanation(legs, matchedPolicies, reasonAdmin, reasonUser, obligations, shadow);
    }

    internal Decision(bool allowed, DecisionIds.Reserved id, long snapshotVersion, string mode, string? reasonUser, in Snapshots.DecisionTrace trace)
    {
        Allowed = allowed;
        _reservedId = id;
        SnapshotVersion = snapshotVersion;
        Mode = mode;
        _reasonUser = reasonUser;
        _trace = trace;
    }

    public bool Allowed { get; }
    public string DecisionId => _decisionId ??= DecisionIds.Format(_reservedId);
    public long SnapshotVersion { get; }
    public string Mode { get; }
    public string ReasonUser => _reasonUser ?? Explained.ReasonUser;
    public IReadOnlyList<LegResult> Legs => Explained.Legs;
    public IReadOnlyList<string> MatchedPolicies => Explained.MatchedPolicies;
    public string ReasonAdmin => Explained.ReasonAdmin;
    public IReadOnlyList<Obligation> Obligations => Explained.Obligations;
    public ShadowResult? Shadow => Explained.Shadow;

    // Formatting twice on a race gives equal values; either may win.
    private Explanation Explained => _explanation ??= _trace.Explain(Allowed);

    public override string ToString() => $"{(Allowed ? "permit" : "deny")} {DecisionId} ({ReasonAdmin})";
}

/// <summary>The written-out part of a <see cref="Decision"/>.</summary>
internal sealed record Explanation(
    IReadOnlyList<LegResult> Legs,
    IReadOnlyList<string> MatchedPolicies,
    string ReasonAdmin,
    string ReasonUser,
    IReadOnlyList<Obligation> Obligations,
    ShadowResult? Shadow);
