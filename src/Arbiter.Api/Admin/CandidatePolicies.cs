using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// A proposed change to the policies, as what-if and replay take it: <c>"policies"</c> (documents to add or replace,
/// each validated as a write would be, each id once) and <c>"remove"</c> (ids). Nothing is saved.
/// </summary>
internal static class CandidatePolicies
{
    /// <summary>The changes, or the problem naming what is wrong (every invalid policy listed with its path).</summary>
    public static ProblemHttpResult? Read(JsonElement root, string what, out List<SourceChange> changes)
    {
        changes = [];
        var problems = new List<ProblemDto>();
        if (root.TryGetProperty("policies", out var proposed))
        {
            if (proposed.ValueKind != JsonValueKind.Array)
                return Problems.BadRequest("'policies' must be an array of policy documents", "/policies");
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var i = 0;
            foreach (var p in proposed.EnumerateArray())
            {
                var parsed = PolicyParser.Parse(p);
                if (!parsed.IsValid)
                    problems.AddRange(parsed.Problems.Select(x => new ProblemDto($"/policies/{i}{x.Path}", x.Message)));
                else if (!ids.Add(parsed.Policy!.Id))
                    problems.Add(new ProblemDto($"/policies/{i}/id", $"the policy '{parsed.Policy.Id}' is given twice"));
                else
                    changes.Add(new SourceChange(SourceKinds.Policy, parsed.Policy.Id, p.Clone()));
                i++;
            }
        }
        if (root.TryGetProperty("remove", out var remove))
        {
            if (remove.ValueKind != JsonValueKind.Array || remove.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                return Problems.BadRequest("'remove' must be an array of policy ids", "/remove");
            changes.AddRange(remove.EnumerateArray().Select(x => new SourceChange(SourceKinds.Policy, x.GetString()!, null)));
        }
        return problems.Count > 0 ? Problems.BadRequest($"the {what} policies have problems", problems[0].Path, problems) : null;
    }
}
