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
    private string? _reasonAdmin;

    /// <summary>Written out already (fail-closed answers outside the engine, tests).</summary>
    public Explanation(IReadOnlyList<LegResult> legs, IReadOnlyList<string> matchedPolicies, string reasonAdmin, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
        : this(default(DecisionTrace), matchedPolicies, (ReasonForm.Text, reasonAdmin), reasonUser, obligations, shadow) => _legs = legs;

    /// <summary>
    /// From the engine: the legs come from <paramref name="trace"/> when first read, and so does the admin reason when
    /// it is one of the standard sentences (<paramref name="reason"/> has its form and no text).
    /// </summary>
    public Explanation(in DecisionTrace trace, IReadOnlyList<string> matchedPolicies, (ReasonForm Form, string? Text) reason, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
    {
        _trace = trace;
        MatchedPolicies = matchedPolicies;
        ReasonForm = reason.Form;
        _reasonAdmin = reason.Text;
        ReasonUser = reasonUser;
        Obligations = obligations;
        Shadow = shadow;
    }

    // Written out twice on a race, the two are equal; either may win.
    public IReadOnlyList<LegResult> Legs => _legs ??= _trace.LegResults();

    public IReadOnlyList<string> MatchedPolicies { get; }

    // Written out twice on a race, the two are equal; either may win.
    public string ReasonAdmin => _reasonAdmin ??= _trace.Sentence(ReasonForm);

    public ReasonForm ReasonForm { get; }

    public string ReasonUser { get; }

    public IReadOnlyList<Obligation> Obligations { get; }

    public ShadowResult? Shadow { get; }
}
