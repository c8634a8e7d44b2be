using System.Collections.Frozen;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Tests;

/// <summary>
/// The explanation's lists of distinct policies (<c>matchedPolicies</c>, <c>shadow.policies</c>): leg by leg, the first
/// kind asked for before the second, each policy once, at the first leg it matched on — whatever order the legs were
/// evaluated in (<see cref="MatchList.Add"/> marks the later matches of a policy as it goes).
/// </summary>
public sealed class DecisionTraceTests
{
    private static readonly DecisionRequest Request = new(new Entity("user", "alice"), "tools/call", new Entity("tool", "hr-lookup"), AgentId: "hr-assistant");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Explain_PoliciesMatchedOnSeveralLegsInAnyOrder_EachListedOnceAtItsFirstLeg(int seed)
    {
        var rng = new Random(seed);
        var policies = Enumerable.Range(0, 12).Select(i => CompiledPolicy.For(new Policy
        {
            Id = "p" + i,
            Effect = rng.Next(3) == 0 ? Effect.Forbid : Effect.Permit,
            Status = rng.Next(4) == 0 ? PolicyStatus.Shadow : PolicyStatus.Active,
            Actions = FrozenSet.ToFrozenSet(["tools/call"], StringComparer.Ordinal),
        })).ToArray();
        for (var round = 0; round < 200; round++)
        {
            var legs = Legs.Principal;
            var list = new MatchList();
            var added = new List<Match>();
            // More than the inline slots at times, so marks land on spilled matches too; legs in any order, a policy
            // sometimes twice on one leg (kept once).
            for (var n = rng.Next(14); n > 0; n--)
            {
                var leg = rng.Next(legs.Length);
                var policy = policies[rng.Next(policies.Length)];
                list.Add(leg, policy.Kind, policy);
                if (!added.Any(m => m.Leg == leg && ReferenceEquals(m.Policy, policy)))
                    added.Add(new Match(leg, policy.Kind, policy));
            }

            var allowed = Enumerable.Range(0, legs.Length).All(leg => Legs.Satisfied(legs[leg], list.KindsOn(leg)));
            var explanation = new DecisionTrace(Request, Decision.PrincipalMode, legs, list.ToArray(), null, null, "").Explain(allowed);

            Assert.Equal(Expected(added, legs.Length, MatchKind.Permit, MatchKind.Forbid), explanation.MatchedPolicies);
            var shadow = Expected(added, legs.Length, MatchKind.ShadowPermit, MatchKind.ShadowForbid);
            Assert.Equal(shadow, explanation.Shadow?.Policies ?? []);
        }
    }

    // The rule as stated: leg by leg, kind by kind, in the order found; a policy already listed is not listed again.
    private static List<string> Expected(List<Match> matches, int legs, MatchKind first, MatchKind second)
    {
        var ids = new List<string>();
        for (var leg = 0; leg < legs; leg++)
        {
            foreach (var kind in new[] { first, second })
            {
                foreach (var m in matches.Where(m => m.Leg == leg && m.Kind == kind))
                {
                    if (!ids.Contains(m.Policy.Policy.Id))
                        ids.Add(m.Policy.Policy.Id);
                }
            }
        }

        return ids;
    }
}
