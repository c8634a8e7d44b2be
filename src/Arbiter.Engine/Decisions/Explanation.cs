using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// The written-out part of a <see cref="Decision"/>. From the engine, the legs are written out only when first read: the
/// decision log and a minimal answer read the rest, and only an explained answer shows the legs.
/// </summary>
internal sealed class Explanation
{
    private readonly DecisionTrace _trace;
    private IReadOnlyList<LegResult>? _legs;

    /// <summary>Written out already (fail-closed answers outside the engine, tests).</summary>
    public Explanation(IReadOnlyList<LegResult> legs, IReadOnlyList<string> matchedPolicies, string reasonAdmin, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
        : this(default(DecisionTrace), matchedPolicies, reasonAdmin, reasonUser, obligations, shadow) => _legs = legs;

    /// <summary>From the engine: the legs come from <paramref name="trace"/> when first read.</summary>
    public Explanation(in DecisionTrace trace, IReadOnlyList<string> matchedPolicies, string reasonAdmin, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
    {
        _trace = trace;
        MatchedPolicies = matchedPolicies;
        ReasonAdmin = reasonAdmin;
        ReasonUser = reasonUser;
        Obligations = obligations;
        Shadow = shadow;
    }

    // Written out twice on a race, the two are equal; either may win.
    public IReadOnlyList<LegResult> Legs => _legs ??= _trace.LegResults();

    public IReadOnlyList<string> MatchedPolicies { get; }

    public string ReasonAdmin { get; }

    public string ReasonUser { get; }

    public IReadOnlyList<Obligation> Obligations { get; }

    public ShadowResult? Shadow { get; }
}
