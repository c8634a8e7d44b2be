using System.Collections.Frozen;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Tests;

/// <summary>
/// The index matches resource selectors on ordinals and masks (<see cref="Candidate.MatchesResource"/>); the policy model
/// states the rule on strings (<see cref="ResourceSelector.Matches"/>, which governance uses). They must agree.
/// </summary>
public sealed class CandidateTests
{
    private static readonly string[] Types = ["tool", "mcp_server", "agent", "dataset", "table", "document", "field", "classification", "custom-kind"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesResource_RandomSelectorsAndResources_AgreesWithThePolicyModel(int seed)
    {
        var rng = new Random(seed);
        FrozenSet<string>? Maybe(string prefix, int n) => rng.Next(3) == 0
            ? null
            : Enumerable.Range(0, rng.Next(4)).Select(_ => prefix + rng.Next(n)).ToFrozenSet(StringComparer.Ordinal);
        var policies = Enumerable.Range(0, 200).Select(i => new Policy
        {
            Id = "p" + i,
            Effect = Effect.Permit,
            Actions = FrozenSet.ToFrozenSet(["tools/call"], StringComparer.Ordinal),
            Resources = rng.Next(8) == 0 ? null : new ResourceSelector(
                rng.Next(2) == 0 ? null : Enumerable.Range(0, 1 + rng.Next(2)).Select(_ => Types[rng.Next(Types.Length)]).ToFrozenSet(StringComparer.Ordinal),
                Maybe("r", 30),
                Maybe("s", 6),
                Maybe("tag", 5),
                rng.Next(2) == 0 ? null : (Sensitivity)rng.Next(4)),
        }).ToList();
        var ordinals = ResourceOrdinals.Of(policies);
        var candidates = policies.Select(p => new Candidate(CompiledPolicy.For(p), -1, ordinals)).ToList();

        var checkedPairs = 0;
        var matchedPairs = 0;
        for (var r = 0; r < 300; r++)
        {
            var type = Types[rng.Next(Types.Length - 1)];
            var server = rng.Next(4) == 0 ? null : "s" + rng.Next(8);
            var tags = Enumerable.Range(0, rng.Next(3)).Select(_ => "tag" + rng.Next(6)).ToFrozenSet(StringComparer.Ordinal);
            var view = ordinals.Indexed(new ResourceView(type, "r" + rng.Next(40), server, (Sensitivity)rng.Next(4), tags, new Dictionary<string, object?>())
            {
                TypeBit = ResourceTypeBits.Of(type),
            });
            for (var i = 0; i < policies.Count; i++)
            {
                var expected = policies[i].Resources is not { } selector || selector.Matches(view.Type, view.Id, view.Server, view.Sensitivity, view.Tags);
                Assert.True(expected == candidates[i].MatchesResource(view), $"policy {i} vs {view}");
                checkedPairs++;
                matchedPairs += expected ? 1 : 0;
            }
        }
        // Both outcomes occur often enough for the comparison to mean something.
        Assert.InRange(matchedPairs, checkedPairs / 50, checkedPairs - (checkedPairs / 50));
    }
}
