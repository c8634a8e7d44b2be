using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

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
    public const string DirectMode = "direct";

    private readonly Snapshots.DecisionTrace _trace;
    private readonly DecisionIds.Reserved _reservedId;
    private readonly bool _reserved;
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
        _reserved = true;
        SnapshotVersion = snapshotVersion;
        Mode = mode;
        _reasonUser = reasonUser;
        _trace = trace;
    }

    public bool Allowed { get; }
    public string DecisionId => _decisionId ??= DecisionIds.Format(_reservedId);

    /// <summary>The id's parts when the engine reserved it (the log carries these, not the text); null for an id given as text.</summary>
    public DecisionIdParts? DecisionIdParts => _reserved ? DecisionIds.Parts(_reservedId) : null;
    public long SnapshotVersion { get; }
    public string Mode { get; }
    public string ReasonUser => _reasonUser ?? Explained.ReasonUser;
    public IReadOnlyList<LegResult> Legs => Explained.Legs(_trace);
    public IReadOnlyList<string> MatchedPolicies => Explained.MatchedPolicies;
    public string ReasonAdmin => Explained.ReasonAdmin(_trace);

    /// <summary>How <see cref="ReasonAdmin"/> is held: one of the standard deny sentences, written only when read, or text.</summary>
    public ReasonForm ReasonForm => Explained.ReasonForm;
    public IReadOnlyList<Obligation> Obligations => Explained.Obligations;
    public ShadowResult? Shadow => Explained.Shadow;

    // Formatting twice on a race gives equal values; either may win.
    private Explanation Explained => _explanation ??= _trace.Explain(Allowed);

    public override string ToString() => $"{(Allowed ? "permit" : "deny")} {DecisionId} ({ReasonAdmin})";
}
