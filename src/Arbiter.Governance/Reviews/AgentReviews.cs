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
            PlanRevoke(snapshot, task.AgentId, now, baseline?.Entitlements), UsageDays);
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

    /// <summary>Mirrors the choices of <see cref="ReviewActions"/>' revoke, without writing anything.</summary>
    private static RevokePlan PlanRevoke(PolicySnapshot snapshot, string agentId, AgentEntitlements? now, AgentEntitlements? baseline)
    {
        if (now is null)
            return new RevokePlan([], [], [], [], false, "the agent no longer exists; there is nothing to revoke");
        if (baseline is null)
            return new RevokePlan([], [], [], [], true, "the agent has no certified baseline, so revoke suspends it");
        var state = snapshot.State;
        var index = TenantIndex.For(snapshot);
        var diff = EntitlementDiff.Between(baseline, now);
        var certified = baseline.Tools.Concat(baseline.Servers).Concat(baseline.Data).Select(id => ResourceRef.Find(state, id)).OfType<ResourceRef>().ToList();
        var drifted = diff.AddedTools.Concat(diff.AddedServers).Concat(diff.AddedData).Distinct(StringComparer.Ordinal)
            .Select(id => ResourceRef.Find(state, id)).OfType<ResourceRef>().ToList();
        var disable = new SortedSet<string>(StringComparer.Ordinal);
        var forbid = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var resource in drifted)
        {
            var grants = index.GrantsOf(agentId).Where(p => p.Effect == Effect.Permit && p.Actions.Contains(resource.Action) && ResourceMatch.Matches(p.Resources, resource)).ToList();
            if (grants.Count == 0)
                continue;
            var allDisabled = true;
            foreach (var grant in grants)
            {
                if (ResourceMatch.IsDedicatedTo(grant, agentId) && !certified.Any(c => grant.Actions.Contains(c.Action) && ResourceMatch.Matches(grant.Resources, c)))
                    disable.Add(grant.Id);
                else
                    allDisabled = false;
            }
            if (!allDisabled)
                forbid.Add(resource.Id);
        }
        string? note = null;
        if (diff.AnyUserMayInvokeAdded)
        {
            var open = index.InvokePoliciesOf(agentId).Where(p => p.Effect == Effect.Permit && p.Subjects!.AnyAuthenticated).ToList();
            foreach (var p in open.Where(p => ResourceMatch.IsDedicatedTo(p, agentId)))
                disable.Add(p.Id);
            if (open.Any(p => !ResourceMatch.IsDedicatedTo(p, agentId)))
                note = "'any authenticated user may invoke' comes from a policy shared with other agents and is not narrowed";
        }
        var removed = drifted.Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
        if (drifted.Count == 0 && diff.AddedGroups.Count == 0 && disable.Count == 0)
            return new RevokePlan([], [], [], [], true, "nothing in its reach drifted from the baseline, so revoke suspends the agent");
        return new RevokePlan(removed, [.. disable], [.. forbid], diff.AddedGroups, false, note);
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
