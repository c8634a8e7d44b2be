using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Entitlements;
using Arbiter.Store;

namespace Arbiter.Governance.Drift;

/// <summary>
/// Which agents a batch of changes can affect, so only those are recomputed. Asked of the snapshot after the changes
/// and, when the detector still holds it, the one before (so a grant that moved from agent A to B recomputes both).
/// <list type="bullet">
/// <item>policy: a grant → the agents its <c>agents</c> selector matches; an agent.invoke policy, or one limited to
/// some agents → the agents it names; otherwise a user entitlement → the agents its subjects may invoke.</item>
/// <item>group: nothing when no policy names it or a group it is nested in; else the agents those groups may invoke
/// and the agents invokable by the members who joined or left (all members when the previous snapshot is unknown).</item>
/// <item>user: the agents the user may invoke, owns or sponsors.</item>
/// <item>agent: that agent. tool / server / data resource: the agents holding a grant that matches it (a server
/// counts with its tools).</item>
/// </list>
/// </summary>
internal static class AffectedAgents
{
    public static SortedSet<string> Of(IEnumerable<StoredDocument> changes, PolicySnapshot now, PolicySnapshot? before)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var list = changes as IReadOnlyCollection<StoredDocument> ?? [.. changes];
        foreach (var snapshot in before is null ? [now] : new[] { now, before })
        {
            var index = TenantIndex.For(snapshot);
            foreach (var change in list)
            {
                switch (change.Kind)
                {
                    case DocumentKinds.Agent:
                        result.Add(change.Id);
                        break;
                    case DocumentKinds.Policy when snapshot.State.Policies.TryGetValue(change.Id, out var policy):
                        result.UnionWith(OfPolicy(snapshot, index, policy));
                        break;
                    case DocumentKinds.User:
                        result.UnionWith(index.AgentsInvokableBy(change.Id, snapshot.GroupsOf(change.Id)));
                        result.UnionWith(index.AgentsAnsweredForBy(change.Id));
                        break;
                    case DocumentKinds.Group:
                        result.UnionWith(OfGroup(snapshot, index, change.Id, ReferenceEquals(snapshot, now) ? before : now));
                        break;
                    case DocumentKinds.Tool or DocumentKinds.McpServer or DocumentKinds.DataResource:
                        result.UnionWith(OfResource(snapshot, index, change.Kind, change.Id));
                        break;
                    default:
                        break;
                }
            }
        }
        return result;
    }

    private static IEnumerable<string> OfPolicy(PolicySnapshot snapshot, TenantIndex index, Policy policy)
    {
        if (policy.Subjects is null || policy.Actions.Contains(WellKnownActions.AgentInvoke) || policy.Agents is not null)
            return index.AgentsMatching(policy.Agents);
        if (policy.Subjects.AnyAuthenticated)
            return snapshot.State.Agents.Keys;
        var users = new HashSet<string>(policy.Subjects.Users, StringComparer.Ordinal);
        foreach (var g in policy.Subjects.Groups)
            users.UnionWith(index.MembersOf(g));
        return OfUsers(snapshot, index, users);
    }

    private static HashSet<string> OfGroup(PolicySnapshot snapshot, TenantIndex index, string groupId, PolicySnapshot? other)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var lineage = index.Ancestors(groupId);
        var named = lineage.Where(g => index.EntitlementGroups.Contains(g) || index.AgentsInvokableViaGroups([g]).Any()).ToList();
        if (named.Count == 0)
            return result;
        result.UnionWith(index.AgentsInvokableViaGroups(lineage));
        var members = index.MembersOf(groupId);
        if (other is not null && other.State.Groups.ContainsKey(groupId) && snapshot.State.Groups.ContainsKey(groupId))
            members.SymmetricExceptWith(TenantIndex.For(other).MembersOf(groupId));
        result.UnionWith(OfUsers(snapshot, index, members));
        return result;
    }

    private static HashSet<string> OfUsers(PolicySnapshot snapshot, TenantIndex index, IEnumerable<string> users)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in users)
            result.UnionWith(index.AgentsInvokableBy(u, snapshot.GroupsOf(u)));
        return result;
    }

    private static HashSet<string> OfResource(PolicySnapshot snapshot, TenantIndex index, string kind, string id)
    {
        var state = snapshot.State;
        var refs = new List<ResourceRef>();
        switch (kind)
        {
            case DocumentKinds.Tool when state.Tools.TryGetValue(id, out var tool):
                refs.Add(ResourceRef.Of(tool));
                break;
            case DocumentKinds.McpServer when state.Servers.TryGetValue(id, out var server):
                refs.Add(ResourceRef.Of(server));
                refs.AddRange(state.Tools.Values.Where(t => t.Server == id).Select(ResourceRef.Of));
                break;
            case DocumentKinds.DataResource when state.DataResources.TryGetValue(id, out var data):
                refs.Add(ResourceRef.Of(data));
                break;
            default:
                break;
        }
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (refs.Count == 0)
            return result;
        foreach (var policy in state.Policies.Values)
        {
            if (policy.Subjects is null && policy.Status == PolicyStatus.Active && refs.Any(r => ResourceMatch.Matches(policy.Resources, r)))
                result.UnionWith(index.AgentsMatching(policy.Agents));
        }
        return result;
    }
}
