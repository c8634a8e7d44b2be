using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>The written-out part of a <see cref="Decision"/>.</summary>
internal sealed record Explanation(
    IReadOnlyList<LegResult> Legs,
    IReadOnlyList<string> MatchedPolicies,
    string ReasonAdmin,
    string ReasonUser,
    IReadOnlyList<Obligation> Obligations,
    ShadowResult? Shadow);
