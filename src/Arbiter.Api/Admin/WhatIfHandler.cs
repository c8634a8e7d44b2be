using System.Text.Json;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// What-if (admin role): <c>{"policies":[proposed documents], "remove":[ids], "evaluations":[AuthZEN items], defaults...}</c>:
/// each evaluation against the current snapshot and against the snapshot with the proposal applied (nothing is saved).
/// </summary>
public sealed class WhatIfHandler(TenantSnapshots snapshots)
{
    public async Task<Results<JsonHttpResult<WhatIfDto>, ProblemHttpResult>> HandleAsync(Caller caller, JsonInput input, CancellationToken cancellationToken)
    {
        var root = input.Root;
        var lease = await snapshots.GetAsync(caller.TenantId, cancellationToken);
        if (lease.Snapshot is null)
            return Problems.Unavailable(lease.Failure!);

        var problems = new List<ProblemDto>();
        var changes = new List<SourceChange>();
        if (root.TryGetProperty("policies", out var proposed))
        {
            if (proposed.ValueKind != JsonValueKind.Array)
                return Problems.BadRequest("'policies' must be an array of policy documents", "/policies");
            var i = 0;
            foreach (var p in proposed.EnumerateArray())
            {
                var parsed = PolicyParser.Parse(p);
                if (parsed.IsValid)
                    changes.Add(new SourceChange(SourceKinds.Policy, parsed.Policy!.Id, p.Clone()));
                else
                    problems.AddRange(parsed.Problems.Select(x => new ProblemDto($"/policies/{i}{x.Path}", x.Message)));
                i++;
            }
        }
        if (root.TryGetProperty("remove", out var remove))
        {
            if (remove.ValueKind != JsonValueKind.Array || remove.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                return Problems.BadRequest("'remove' must be an array of policy ids", "/remove");
            changes.AddRange(remove.EnumerateArray().Select(r => new SourceChange(SourceKinds.Policy, r.GetString()!, null)));
        }
        if (problems.Count > 0)
            return Problems.BadRequest("the proposed policies have problems", problems[0].Path, problems);
        if (!root.TryGetProperty("evaluations", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
            return Problems.BadRequest("'evaluations' is required: the requests to compare", "/evaluations");

        var current = lease.Snapshot;
        var candidate = current.Apply(changes, current.Generation + 1);
        var results = new List<WhatIfItemDto>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var request = RequestReader.Read(item, root, out var problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, $"/evaluations/{index}{problem.Path}");
            var before = current.Evaluate(request!, explain: true);
            var after = candidate.Evaluate(request!, explain: true);
            results.Add(new WhatIfItemDto(index++, EvaluationResponse.Explained(before), EvaluationResponse.Explained(after), before.Allowed != after.Allowed));
        }
        return TypedResults.Json(new WhatIfDto(results.Count(r => r.Changed), results, []), ApiJsonContext.Wire.WhatIfDto);
    }
}
