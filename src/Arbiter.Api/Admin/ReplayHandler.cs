using System.Globalization;
using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.DecisionLog;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Replay;
using Arbiter.Runtime.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// Impact replay (admin role): <c>POST manage/v1/replay</c> with <c>{"from", "to", "policies":[candidate documents],
/// "remove":[ids], "replace":bool, "filters":{agent, subject, subjectType, resourceType, resource, action, decision},
/// "maxFlips", "maxRecords"}</c> re-decides the recorded decisions of the period (at most 31 days) under the candidate
/// and answers what would flip (<see cref="PolicyReplay"/>). <c>replace</c>: the candidate is the whole policy set
/// (every current policy not in it is removed), as <c>arbiter policy replay --candidate DIR</c> sends it. Nothing is saved.
/// </summary>
public sealed class ReplayHandler(TenantSnapshots snapshots, IDecisionLogQuery log)
{
    public const string Route = "replay";

    private static readonly HashSet<string> Members = new(StringComparer.Ordinal) { "from", "to", "policies", "remove", "replace", "filters", "maxFlips", "maxRecords" };
    private static readonly HashSet<string> FilterMembers = new(StringComparer.Ordinal) { "agent", "subject", "subjectType", "resourceType", "resource", "action", "decision" };

    public async Task<Results<JsonHttpResult<ReplayReport>, ProblemHttpResult>> HandleAsync(Caller caller, JsonInput input, CancellationToken cancellationToken)
    {
        var root = input.Root;
        if (root.ValueKind != JsonValueKind.Object)
            return Problems.BadRequest("the body must be a JSON object", "");
        foreach (var member in root.EnumerateObject().Where(m => !Members.Contains(m.Name)))
            return Problems.BadRequest($"unknown member '{member.Name}' (expected one of: {string.Join(", ", Members)})", "/" + member.Name);
        if (!TryTime(root, "from", out var from))
            return Problems.BadRequest("'from' is required: an ISO 8601 timestamp", "/from");
        if (!TryTime(root, "to", out var to))
            return Problems.BadRequest("'to' is required: an ISO 8601 timestamp", "/to");
        if (!TryCount(root, "maxFlips", ReplayLimits.DefaultMaxFlips, ReplayLimits.MaxFlipsAllowed, out var maxFlips))
            return Problems.BadRequest($"'maxFlips' must be a whole number from 0 to {ReplayLimits.MaxFlipsAllowed}", "/maxFlips");
        if (!TryCount(root, "maxRecords", ReplayLimits.DefaultMaxRecords, ReplayLimits.DefaultMaxRecords, out var maxRecords))
            return Problems.BadRequest($"'maxRecords' must be a whole number from 0 to {ReplayLimits.DefaultMaxRecords}", "/maxRecords");
        var replace = false;
        if (root.TryGetProperty("replace", out var r))
        {
            if (r.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Problems.BadRequest("'replace' must be true or false", "/replace");
            replace = r.GetBoolean();
        }

        var query = new DecisionLogQuery { From = from, To = to };
        if (root.TryGetProperty("filters", out var filters))
        {
            var (filtered, problem) = ReadFilters(filters, query);
            if (problem is not null)
                return problem;
            query = filtered!;
        }
        if (query.Validate(PolicyReplay.PageSize) is { Count: > 0 } invalid)
            return Problems.BadRequest(invalid[0].Message, "/" + invalid[0].Field);

        if (CandidatePolicies.Read(root, "candidate", out var changes) is { } candidateProblem)
            return candidateProblem;
        if (changes.Count == 0 && !replace)
            return Problems.BadRequest("give the candidate: 'policies' to add or change, 'remove', or 'replace': true", "/policies");

        var lease = await snapshots.GetAsync(caller.TenantId, cancellationToken);
        if (lease.Snapshot is null)
            return Problems.Unavailable(lease.Failure!);
        if (replace)
        {
            // Replace: every current policy the candidate does not give is removed.
            var given = changes.Where(c => c.Body is not null).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            changes.AddRange(lease.Snapshot.State.Policies.Keys.Where(id => !given.Contains(id)).Select(id => new SourceChange(SourceKinds.Policy, id, null)));
        }

        var report = await new PolicyReplay(log).RunAsync(caller.TenantId, lease.Snapshot, changes, query, new ReplayLimits(maxRecords, maxFlips), null, cancellationToken);
        return TypedResults.Json(report, ReplayJsonContext.Default.ReplayReport);
    }

    private static (DecisionLogQuery? Query, ProblemHttpResult? Problem) ReadFilters(JsonElement filters, DecisionLogQuery query)
    {
        if (filters.ValueKind != JsonValueKind.Object)
            return (null, Problems.BadRequest("'filters' must be an object", "/filters"));
        foreach (var f in filters.EnumerateObject())
        {
            if (!FilterMembers.Contains(f.Name))
                return (null, Problems.BadRequest($"unknown filter '{f.Name}' (expected one of: {string.Join(", ", FilterMembers)})", "/filters/" + f.Name));
            if (f.Value.ValueKind != JsonValueKind.String || f.Value.GetString() is not { Length: > 0 and <= 256 })
                return (null, Problems.BadRequest($"'{f.Name}' must be a non-empty string of at most 256 characters", "/filters/" + f.Name));
            if (f.Name == "decision" && f.Value.GetString() is not ("permit" or "deny"))
                return (null, Problems.BadRequest("'decision' must be permit or deny", "/filters/decision"));
        }
        string? Get(string name) => filters.TryGetProperty(name, out var v) ? v.GetString() : null;
        bool? allowed = Get("decision") is { } d ? d == "permit" : null;
        return (query with
        {
            AgentId = Get("agent"),
            SubjectId = Get("subject"),
            SubjectType = Get("subjectType"),
            ResourceType = Get("resourceType"),
            ResourceId = Get("resource"),
            Action = Get("action"),
            Allowed = allowed,
        }, null);
    }

    private static bool TryTime(JsonElement root, string name, out DateTimeOffset value)
    {
        value = default;
        return root.TryGetProperty(name, out var raw) && raw.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(raw.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    private static bool TryCount(JsonElement root, string name, int fallback, int max, out int value)
    {
        value = fallback;
        if (!root.TryGetProperty(name, out var raw))
            return true;
        return raw.ValueKind == JsonValueKind.Number && raw.TryGetInt32(out value) && value >= 0 && value <= max;
    }
}
