using System.Globalization;
using System.Text;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Governance.Entitlements;

/// <summary>
/// Computes an agent's effective entitlements from a snapshot, with the same evaluation decisions use (so the record
/// can never claim a reach decisions would refuse, or miss one they would permit).
/// <list type="bullet">
/// <item>Agent-only reach: resource search with the agent as subject (tools/call, tools/list, data.read).</item>
/// <item>Principal reach: the users who may invoke the agent (candidates from the invoke policies, confirmed by
/// evaluation), grouped into classes of users with the same groups (and attributes, when any user policy has a
/// condition; users a policy names by id are their own class); one representative per class is evaluated against
/// the resources the agent's principal grants could cover, skipping resources already reached. Past
/// <see cref="GovernanceOptions.MaxUserClasses"/> classes the rest are skipped and the record says <c>truncated</c>.</item>
/// </list>
/// Request context is empty: a permit whose condition needs request context does not count (it would not apply to a
/// request without it either). Reach of a suspended or disabled agent is empty: decisions refuse it everything.
/// </summary>
public sealed class EntitlementCalculator(TimeProvider time)
{
    private static readonly string[] DataTypes = ["dataset", "table", "document"];

    /// <summary>The entitlements of <paramref name="agentId"/>, or null when the snapshot does not know the agent.</summary>
    public AgentEntitlements? Compute(PolicySnapshot snapshot, string agentId, int maxUserClasses = 5000)
    {
        var state = snapshot.State;
        if (!state.Agents.TryGetValue(agentId, out var agent))
            return null;
        var index = TenantIndex.For(snapshot);
        var now = time.GetUtcNow();

        var tools = new SortedSet<string>(StringComparer.Ordinal);
        var servers = new SortedSet<string>(StringComparer.Ordinal);
        var data = new SortedSet<string>(StringComparer.Ordinal);
        var invokers = 0;
        var truncated = false;

        if (agent.Active)
        {
            var self = new Entity(SubjectTypes.Agent, agentId);
            tools.UnionWith(snapshot.SearchResources(self, null, WellKnownActions.ToolsCall, ResourceTypes.Tool));
            servers.UnionWith(snapshot.SearchResources(self, null, WellKnownActions.ToolsList, ResourceTypes.McpServer));
            foreach (var type in DataTypes)
                data.UnionWith(snapshot.SearchResources(self, null, WellKnownActions.DataRead, type));
            (invokers, truncated) = AddPrincipalReach(snapshot, index, agent, tools, servers, data, maxUserClasses);
        }
        foreach (var tool in tools)
        {
            if (state.Tools.TryGetValue(tool, out var fact))
                servers.Add(fact.Server);
        }

        Sensitivity? maxSensitivity = null;
        foreach (var t in tools)
            maxSensitivity = Max(maxSensitivity, state.Tools.TryGetValue(t, out var f) ? f.Sensitivity : Sensitivity.Restricted);
        foreach (var s in servers)
            maxSensitivity = Max(maxSensitivity, state.Servers.TryGetValue(s, out var f) ? f.Sensitivity : Sensitivity.Restricted);
        Sensitivity? maxClassification = null;
        foreach (var d in data)
            maxClassification = Max(maxClassification, state.DataResources.TryGetValue(d, out var f) ? f.Classification : Sensitivity.Restricted);

        var policies = index.GrantsOf(agentId).Concat(index.InvokePoliciesOf(agentId)).Where(p => p.Effect == Effect.Permit).ToList();
        return new AgentEntitlements
        {
            AgentId = agentId,
            DisplayName = agent.DisplayName,
            Enabled = agent.Enabled,
            Suspended = agent.Suspended,
            Source = agent.Source,
            Tools = [.. tools],
            Servers = [.. servers],
            Data = [.. data],
            MaxSensitivity = maxSensitivity is { } ms ? SensitivityNames.Name(ms) : null,
            MaxClassification = maxClassification is { } mc ? SensitivityNames.Name(mc) : null,
            InvokingGroups = [.. index.InvokingGroupsOf(agentId)],
            AnyUserMayInvoke = index.AnyUserMayInvoke(agentId),
            InvokingUsers = invokers,
            Owner = agent.Owner is { } owner ? StateOf(state, owner) : null,
            Sponsors = [.. agent.Sponsors.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(s => StateOf(state, s))],
            GrantedBy = [.. policies.Select(p => p.Id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Expiring = [.. policies.Where(p => p.NotAfter is not null).DistinctBy(p => p.Id).OrderBy(p => p.Id, StringComparer.Ordinal)
                .Select(p => new GrantValidity(p.Id, p.NotAfter!.Value, p.NotAfter.Value <= now))],
            Truncated = truncated,
        };
    }

    /// <summary>Adds what the agent's users may reach through it; returns how many users may invoke it.</summary>
    private static (int Invokers, bool Truncated) AddPrincipalReach(PolicySnapshot snapshot, TenantIndex index, AgentFact agent,
        SortedSet<string> tools, SortedSet<string> servers, SortedSet<string> data, int maxClasses)
    {
        var state = snapshot.State;
        IEnumerable<string> candidates;
        if (index.AnyUserMayInvoke(agent.Id))
            candidates = state.Users.Keys;
        else
        {
            var set = new HashSet<string>(index.InvokeUsersOf(agent.Id), StringComparer.Ordinal);
            foreach (var g in index.InvokingGroupsOf(agent.Id))
            {
                if (state.Groups.TryGetValue(g, out var group))
                    set.UnionWith(group.MemberUsers);
            }
            candidates = set;
        }

        var agentEntity = new Entity(ResourceTypes.Agent, agent.Id);
        var classes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var invokers = 0;
        foreach (var userId in candidates)
        {
            if (!state.Users.TryGetValue(userId, out var user) || !user.Enabled)
                continue;
            if (!snapshot.IsPermitted(new DecisionRequest(new Entity(SubjectTypes.User, userId), WellKnownActions.AgentInvoke, agentEntity)))
                continue;
            invokers++;
            classes.TryAdd(ClassKey(snapshot, index, user), userId);
        }
        if (classes.Count == 0)
            return (0, false);

        // Only resources some principal-mode grant of the agent could cover can be reached through it.
        var grants = index.GrantsOf(agent.Id).Where(p => p.Effect == Effect.Permit && (p.Modes & Modes.Principal) != 0).ToList();
        var pending = new List<ResourceRef>();
        void Consider(ResourceRef r, SortedSet<string> reached)
        {
            if (!reached.Contains(r.Id) && grants.Any(g => g.Actions.Contains(r.Action) && ResourceMatch.Matches(g.Resources, r)))
                pending.Add(r);
        }
        foreach (var t in state.Tools.Values)
            Consider(ResourceRef.Of(t), tools);
        foreach (var s in state.Servers.Values)
            Consider(ResourceRef.Of(s), servers);
        foreach (var d in state.DataResources.Values.Where(d => DataTypes.Contains(d.Type)))
            Consider(ResourceRef.Of(d), data);

        var evaluated = 0;
        foreach (var representative in classes.Values)
        {
            if (pending.Count == 0)
                break;
            if (evaluated++ >= maxClasses)
                return (invokers, true);
            var subject = new Entity(SubjectTypes.User, representative);
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var r = pending[i];
                if (!snapshot.IsPermitted(new DecisionRequest(subject, r.Action, new Entity(r.Type, r.Id), agent.Id)))
                    continue;
                (r.Type == ResourceTypes.Tool ? tools : r.Type == ResourceTypes.McpServer ? servers : data).Add(r.Id);
                pending.RemoveAt(i);
            }
        }
        return (invokers, false);
    }

    /// <summary>Users with the same key get the same answers: same groups, not named by id, same attributes when conditions may read them.</summary>
    private static string ClassKey(PolicySnapshot snapshot, TenantIndex index, UserFact user)
    {
        if (index.NamedUsers.Contains(user.Id))
            return "u:" + user.Id;
        var key = new StringBuilder("g:");
        foreach (var g in snapshot.GroupsOf(user.Id).Order(StringComparer.Ordinal))
            key.Append(g).Append('\u001f');
        if (index.HasUserConditions)
        {
            key.Append("|a:");
            foreach (var (k, v) in user.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                key.Append(k).Append('=').Append(Convert.ToString(v is IEnumerable<object?> list ? string.Join(",", list) : v, CultureInfo.InvariantCulture)).Append('\u001f');
        }
        return key.ToString();
    }

    private static PrincipalState StateOf(TenantState state, string userId) =>
        new(userId, state.Users.TryGetValue(userId, out var user) ? user.Enabled ? PrincipalState.Active : PrincipalState.Disabled : PrincipalState.Missing);

    private static Sensitivity Max(Sensitivity? a, Sensitivity b) => a is { } x && x > b ? x : b;
}
