using Arbiter.DecisionLog;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// Builds the reviewer's view of a task (<see cref="AgentReview"/>) and says who may see it: a task is visible to its
/// reviewers (the agent's sponsors and owner when it opened) and to admins, nobody else.
/// </summary>
public sealed class AgentReviews(
    GovernanceQueries queries,
    DriftDetector detector,
    EntitlementCalculator calculator,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    IDecisionLogQuery? log = null)
{
    /// <summary>How far back "last used" looks.</summary>
    public const int UsageDays = 90;

    /// <summary>Permissions looked up in the decision log per review (each costs up to three log queries); the rest show no usage.</summary>
    public const int MaxUsageLookups = 100;

    /// <summary>The tenant's snapshot as governance sees it (brought up to date first), for the pages' directory reads.</summary>
    public Task<PolicySnapshot> SnapshotAsync(string tenantId, CancellationToken cancellationToken) => detector.CurrentSnapshotAsync(tenantId, cancellationToken);

    public static bool MayReview(ReviewTaskRecord task, string userId, bool admin) =>
        admin || task.Reviewers.Contains(userId, StringComparer.Ordinal);

    /// <summary>The open tasks this reviewer may act on (all open tasks for an admin): overdue first, then by due date.</summary>
    public async Task<IReadOnlyList<ReviewTaskRecord>> PendingForAsync(string tenantId, string userId, bool admin, CancellationToken cancellationToken)
    {
        var open = await queries.ListTasksAsync(tenantId, new TaskFilter(State: ReviewStates.Open, Owner: admin ? null : userId, Limit: 1000), cancellationToken);
        var now = time.GetUtcNow();
        return [.. open.Where(t => MayReview(t, userId, admin))
            .OrderByDescending(t => t.DueAt < now)
            .ThenBy(t => t.DueAt)
            .ThenBy(t => t.Id, StringComparer.Ordinal)];
    }

    /// <summary>Null when the task does not exist or this reviewer may not see it (the caller answers both alike: not found).</summary>
    public async Task<AgentReview?> GetAsync(string tenantId, string taskId, string userId, bool admin, CancellationToken cancellationToken)
    {
        var task = await queries.GetTaskAsync(tenantId, taskId, cancellationToken);
        if (task is null || !MayReview(task, userId, admin))
            return null;
        var snapshot = await detector.CurrentSnapshotAsync(tenantId, cancellationToken);
        var now = calculator.Compute(snapshot, task.AgentId, options.Value.MaxUserClasses);
        var baseline = await queries.GetBaselineAsync(tenantId, task.AgentId, cancellationToken);
        var diff = now is not null && baseline is not null ? EntitlementDiff.Between(baseline.Entitlements, now) : null;
        var findings = (await queries.ListFindingsAsync(tenantId, new FindingFilter(AgentId: task.AgentId, Limit: 1000), cancellationToken))
            .Where(f => task.Findings.Contains(f.Id, StringComparer.Ordinal)).ToList();
        var reach = await ReachAsync(tenantId, snapshot, task.AgentId, now, baseline?.Entitlements, cancellationToken);
        return new AgentReview(task, now, baseline, diff, reach, Groups(snapshot, task.AgentId, now, baseline?.Entitlements), findings,
            RevokePlan.For(snapshot, task.AgentId, now, baseline?.Entitlements), UsageDays);
    }

    private async Task<IReadOnlyList<ReachItem>> ReachAsync(string tenantId, PolicySnapshot snapshot, string agentId, AgentEntitlements? now, AgentEntitlements? baseline,
        CancellationToken cancellationToken)
    {
        var state = snapshot.State;
        var index = TenantIndex.For(snapshot);
        var items = new List<ReachItem>();
        var lookups = 0;
        foreach (var (kind, current, certified) in new[]
                 {
                     ("tool", now?.Tools ?? [], baseline?.Tools ?? []),
                     ("server", now?.Servers ?? [], baseline?.Servers ?? []),
                     ("data", now?.Data ?? [], baseline?.Data ?? []),
                 })
        {
            var kept = certified.ToHashSet(StringComparer.Ordinal);
            var reachable = current.ToHashSet(StringComparer.Ordinal);
            foreach (var id in current.Concat(certified.Where(c => !reachable.Contains(c))).Order(StringComparer.Ordinal))
            {
                var change = !reachable.Contains(id) ? ReachChange.Removed : kept.Contains(id) ? ReachChange.Kept : ReachChange.Added;
                var resource = ResourceRef.Find(state, id);
                var policies = resource is { } r
                    ? index.GrantsOf(agentId).Where(p => p.Effect == Effect.Permit && p.Actions.Contains(r.Action) && ResourceMatch.Matches(p.Resources, r)).Select(p => p.Id).Order(StringComparer.Ordinal).ToList()
                    : [];
                DateTimeOffset? lastUsed = null;
                if (change != ReachChange.Removed && lookups++ < MaxUsageLookups)
                    lastUsed = await LastUsedAsync(tenantId, agentId, id, cancellationToken);
                items.Add(new ReachItem(kind, id, DisplayName(state, id), resource?.Level.ToString().ToLowerInvariant(), change, policies, lastUsed));
            }
        }
        return items;
    }

    private static IReadOnlyList<InvokingGroupItem> Groups(PolicySnapshot snapshot, string agentId, AgentEntitlements? now, AgentEntitlements? baseline)
    {
        var index = TenantIndex.For(snapshot);
        var current = (now?.InvokingGroups ?? []).ToHashSet(StringComparer.Ordinal);
        var certified = (baseline?.InvokingGroups ?? []).ToHashSet(StringComparer.Ordinal);
        var invoke = index.InvokePoliciesOf(agentId).Where(p => p.Effect == Effect.Permit && p.Subjects is not null).ToList();
        return [.. current.Union(certified).Order(StringComparer.Ordinal).Select(g => new InvokingGroupItem(
            g,
            snapshot.State.Groups.TryGetValue(g, out var fact) ? fact.DisplayName : null,
            !current.Contains(g) ? ReachChange.Removed : certified.Contains(g) ? ReachChange.Kept : ReachChange.Added,
            [.. invoke.Where(p => p.Subjects!.Groups.Contains(g) || index.Ancestors(g).Any(a => p.Subjects.Groups.Contains(a))).Select(p => p.Id).Order(StringComparer.Ordinal)]))];
    }

    private async Task<DateTimeOffset?> LastUsedAsync(string tenantId, string agentId, string resourceId, CancellationToken cancellationToken)
    {
        if (log is null)
            return null;
        var now = time.GetUtcNow();
        var horizon = now.AddDays(-UsageDays);
        for (var to = now.AddMinutes(1); to > horizon; to -= DecisionLogQuery.MaxRange)
        {
            var from = to - DecisionLogQuery.MaxRange < horizon ? horizon : to - DecisionLogQuery.MaxRange;
            var page = await log.QueryAsync(tenantId, new DecisionLogQuery { From = from, To = to, AgentId = agentId, ResourceId = resourceId, Allowed = true }, null, 1, cancellationToken);
            if (page.Items.Count > 0)
                return page.Items[0].Time;
        }
        return null;
    }

    private static string? DisplayName(TenantState state, string id) =>
        state.Tools.TryGetValue(id, out var t) ? t.DisplayName
        : state.Servers.TryGetValue(id, out var s) ? s.DisplayName
        : null;
}
