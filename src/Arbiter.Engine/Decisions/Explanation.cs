using System.Runtime.CompilerServices;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// The written-out part of a <see cref="Decision"/>. From the engine, the legs are written out only when first read: the
/// decision log and a minimal answer read the rest, and only an explained answer shows the legs. They, and a standard
/// deny sentence, are written from the decision's own trace, which the decision passes in: a copy of it here was 80
/// bytes more for every decision. A deferred decision's explanation keeps the trace its evaluation was done again with.
/// </summary>
internal sealed class Explanation
{
    private StrongBox<DecisionTrace>? _retraced;
    private IReadOnlyList<LegResult>? _legs;
    private string? _reasonAdmin;

    /// <summary>Written out already (fail-closed answers outside the engine, tests).</summary>
    public Explanation(IReadOnlyList<LegResult> legs, IReadOnlyList<string> matchedPolicies, string reasonAdmin, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
        : this(matchedPolicies, (ReasonForm.Text, reasonAdmin), reasonUser, obligations, shadow) => _legs = legs;

    /// <summary>
    /// From the engine: the legs come from the decision's trace when first read, and so does the admin reason when it is
    /// one of the standard sentences (<paramref name="reason"/> has its form and no text).
    /// </summary>
    public Explanation(IReadOnlyList<string> matchedPolicies, (ReasonForm Form, string? Text) reason, string reasonUser,
        IReadOnlyList<Obligation> obligations, ShadowResult? shadow)
    {
        MatchedPolicies = matchedPolicies;
        ReasonForm = reason.Form;
        _reasonAdmin = reason.Text;
        ReasonUser = reasonUser;
        Obligations = obligations;
        Shadow = shadow;
    }

    /// <summary>The explanation of a deferred decision: written from <paramref name="retraced"/>, not the decision's trace.</summary>
    public Explanation From(in DecisionTrace retraced)
    {
        _retraced = new StrongBox<DecisionTrace>(retraced);
        return this;
    }

    // Written out twice on a race, the two are equal; either may win.
    public IReadOnlyList<LegResult> Legs(in DecisionTrace trace) => _legs ??= (_retraced is { } own ? own.Value : trace).LegResults();

    public IReadOnlyList<string> MatchedPolicies { get; }

    // Written out twice on a race, the two are equal; either may win.
    public string ReasonAdmin(in DecisionTrace trace) => _reasonAdmin ??= (_retraced is { } own ? own.Value : trace).Sentence(ReasonForm);

    public ReasonForm ReasonForm { get; }

    public string ReasonUser { get; }

    public IReadOnlyList<Obligation> Obligations { get; }

    public ShadowResult? Shadow { get; }
}
