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

        if (CandidatePolicies.Read(root, "proposed", out var changes) is { } proposalProblem)
            return proposalProblem;
        if (!root.TryGetProperty("evaluations", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
            return Problems.BadRequest("'evaluations' is required: the requests to compare", "/evaluations");

        var current = lease.Snapshot;
        var candidate = current.Apply(changes, current.Generation + 1);
        var results = new List<WhatIfItemDto>();
        var index = 0;
        var defaults = new BatchDefaults(root);
        foreach (var item in items.EnumerateArray())
        {
            var request = RequestReader.ReadInBatch(item, defaults, out var problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, $"/evaluations/{index}{problem.Path}");
            var before = current.Evaluate(request!, explain: true);
            var after = candidate.Evaluate(request!, explain: true);
            results.Add(new WhatIfItemDto(index++, EvaluationResponse.Explained(before), EvaluationResponse.Explained(after), before.Allowed != after.Allowed));
        }
        return TypedResults.Json(new WhatIfDto(results.Count(r => r.Changed), results, []), ApiJsonContext.Wire.WhatIfDto);
    }
}
