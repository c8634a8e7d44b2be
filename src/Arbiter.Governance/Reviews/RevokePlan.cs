using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// What a revoke of the task would do now, worked out once for both the review page's preview and <see cref="ReviewActions.RevokeAsync"/>, so what a reviewer confirms is what happens: grants
/// disabled (dedicated to this agent, covering only drifted reach), resources and groups cut by a forbid, or — when
/// nothing in the reach drifted — the agent suspended.
/// </summary>
public sealed record RevokePlan(IReadOnlyList<string> RemovedReach, IReadOnlyList<string> DisabledPolicies, IReadOnlyList<string> ForbiddenResources,
    IReadOnlyList<string> ForbiddenGroups, bool SuspendsAgent, string? Note)
{
    /// <summary>The plan for <paramref name="agentId"/> now: what the review page shows before a revoke, and what the revoke then does.</summary>
    public static RevokePlan For(PolicySnapshot snapshot, string agentId, AgentEntitlements? now, AgentEntitlements? baseline)
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
}
