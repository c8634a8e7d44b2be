using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Runtime.Replay;

/// <summary>
/// Impact replay: re-decides the recorded decisions of a period under a candidate policy set, before it is deployed,
/// and reports every decision that would flip. The log is read a page at a time (keyset paging, newest first) and each
/// page is dropped once decided, so memory is bounded by the page size and the flips kept (<see cref="ReplayLimits"/>),
/// whatever the period holds. Each record is decided twice at its own time against today's directory: by the current
/// policies and by the candidate. A flip is a difference between those two — so a difference the policies did not
/// cause (a user since removed from a group, a request condition on context the log does not keep) is not counted as
/// one; how often today's replay differs from what was recorded is reported separately (<see cref="ReplayReport.RecordedDiffers"/>).
/// </summary>
public sealed class PolicyReplay(IDecisionLogQuery log)
{
    public const int PageSize = 1000;

    /// <param name="current">The tenant's current snapshot (its directory and policies).</param>
    /// <param name="changes">The candidate: policy documents to add or replace (body) and ids to remove (no body).</param>
    public async Task<ReplayReport> RunAsync(string tenantId, PolicySnapshot current, IReadOnlyList<SourceChange> changes, DecisionLogQuery query, ReplayLimits limits, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var clock = new ReplayClock();
        var before = PolicySnapshot.Build(tenantId, current.State, current.Version, clock);
        var after = PolicySnapshot.Build(tenantId, current.State.Apply(changes), current.Version + 1, clock);

        var read = 0;
        var permitToDeny = 0;
        var denyToPermit = 0;
        var recordedDiffers = 0;
        var truncated = false;
        var flips = new List<ReplayFlip>();
        var groups = new Dictionary<(string, string?, string, string, string), (int Count, HashSet<string> Subjects)>();
        var groupsTruncated = false;
        string? continuation = null;
        do
        {
            var page = await log.QueryAsync(tenantId, query, continuation, PageSize, cancellationToken);
            foreach (var record in page.Items)
            {
                if (read == limits.MaxRecords)
                {
                    truncated = true;
                    break;
                }
                read++;
                clock.Now = record.Time;
                var request = RequestOf(record);
                var was = before.Evaluate(request);
                var now = after.Evaluate(request, explain: true);
                if (was.Allowed != record.Allowed)
                    recordedDiffers++;
                if (was.Allowed == now.Allowed)
                    continue;
                if (was.Allowed)
                    permitToDeny++;
                else
                    denyToPermit++;
                var change = was.Allowed ? "permit-to-deny" : "deny-to-permit";
                var key = (change, record.AgentId, record.Action, record.ResourceType, record.ResourceId);
                if (groups.TryGetValue(key, out var group))
                {
                    groups[key] = (group.Count + 1, group.Subjects);
                    if (group.Subjects.Count < limits.MaxSubjectsPerGroup)
                        group.Subjects.Add(record.SubjectType + "/" + record.SubjectId);
                }
                else if (groups.Count < limits.MaxGroups)
                {
                    groups[key] = (1, [record.SubjectType + "/" + record.SubjectId]);
                }
                else
                {
                    groupsTruncated = true;
                }
                if (flips.Count < limits.MaxFlips)
                {
                    flips.Add(new ReplayFlip(record.Id, record.Time, record.SubjectType, record.SubjectId, record.AgentId, record.Action,
                        record.ResourceType, record.ResourceId, record.ResourceServer, record.Allowed, was.Allowed, now.Allowed,
                        was.ReasonAdmin, now.ReasonAdmin, now.MatchedPolicies));
                }
            }
            progress?.Report(read);
            continuation = page.Continuation;
        }
        while (continuation is not null && !truncated);

        var notes = new List<string>
        {
            "records keep no request context or properties (other than a tool's server): conditions are re-decided without them, the same way for the current and the candidate policies",
            "both sides are decided against today's directory at each record's time",
        };
        if (groupsTruncated)
            notes.Add($"more than {limits.MaxGroups} groups: later groups are counted in the totals only");
        if (truncated)
            notes.Add($"stopped after {limits.MaxRecords} records: narrow the range or the filters to see the rest");
        return new ReplayReport(query.From, query.To, read, permitToDeny + denyToPermit, permitToDeny, denyToPermit, recordedDiffers, truncated,
            [.. groups.OrderByDescending(g => g.Value.Count).ThenBy(g => g.Key.Item1, StringComparer.Ordinal).ThenBy(g => g.Key.Item5, StringComparer.Ordinal)
                .Select(g => new ReplayGroup(g.Key.Item1, g.Key.Item2, g.Key.Item3, g.Key.Item4, g.Key.Item5, g.Value.Count, g.Value.Subjects.Count))],
            flips, permitToDeny + denyToPermit > flips.Count, notes);
    }

    /// <summary>
    /// The request a record was decided for, as far as the record keeps it: in principal context the acting agent is
    /// <c>context.agent</c>; in agent-only mode and for <c>agent.invoke</c> (whose agent is the resource) there is none.
    /// </summary>
    internal static DecisionRequest RequestOf(DecisionRecord record)
    {
        var properties = record.ResourceServer is null
            ? default
            : System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["server"] = record.ResourceServer }, ReplayRequestJsonContext.Default.DictionaryStringString);
        var agent = record.Mode == Decision.PrincipalMode && record.Action != WellKnownActions.AgentInvoke ? record.AgentId : null;
        return new DecisionRequest(new Entity(record.SubjectType, record.SubjectId), record.Action, new Entity(record.ResourceType, record.ResourceId, properties), agent);
    }

    /// <summary>The time each re-decision sees: the record's own, set before it is decided (one replay, one thread).</summary>
    private sealed class ReplayClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
