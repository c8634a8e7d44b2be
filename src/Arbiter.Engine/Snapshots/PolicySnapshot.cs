using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// An immutable, indexed view of one tenant's policies and directory facts. Thread-safe: every field is frozen at
/// build time; evaluation allocates only its answer. A new snapshot is built from the previous one plus changes,
/// reusing compiled policies and the group closure when they did not change.
/// </summary>
public sealed partial class PolicySnapshot
{
    private readonly FrozenDictionary<string, string[]> _userGroups;
    private readonly FrozenDictionary<string, ActionIndex> _actions;
    private readonly TimeProvider _time;
    private readonly Lookups _lookups;

    /// <summary>Frozen copies of the entity tables: the immutable dictionaries are cheap to change, these are cheap to read.</summary>
    private sealed record Lookups(
        TenantState Source,
        FrozenDictionary<string, UserFact> Users,
        FrozenDictionary<string, AgentFact> Agents,
        FrozenDictionary<string, ToolFact> Tools,
        FrozenDictionary<string, McpServerFact> Servers,
        FrozenDictionary<string, DataResourceFact> Data)
    {
        public static Lookups For(TenantState state, Lookups? previous) => new(
            state,
            Reuse(previous?.Source.Users, state.Users, previous?.Users),
            Reuse(previous?.Source.Agents, state.Agents, previous?.Agents),
            Reuse(previous?.Source.Tools, state.Tools, previous?.Tools),
            Reuse(previous?.Source.Servers, state.Servers, previous?.Servers),
            Reuse(previous?.Source.DataResources, state.DataResources, previous?.Data));

        private static FrozenDictionary<string, T> Reuse<T>(object? before, IReadOnlyDictionary<string, T> now, FrozenDictionary<string, T>? frozen) =>
            frozen is not null && ReferenceEquals(before, now) ? frozen : now.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private PolicySnapshot(string tenantId, TenantState state, long version, TimeProvider time,
        FrozenDictionary<string, string[]> userGroups, FrozenDictionary<string, ActionIndex> actions, Lookups lookups, TimeSpan buildTime)
    {
        _lookups = lookups;
        TenantId = tenantId;
        State = state;
        Version = version;
        _time = time;
        _userGroups = userGroups;
        _actions = actions;
        BuiltAt = time.GetUtcNow();
        BuildTime = buildTime;
        KnownActions = [.. WellKnownActions.All.Union(actions.Keys).Order(StringComparer.Ordinal)];
    }

    public string TenantId { get; }
    public TenantState State { get; }
    public long Version { get; }
    public DateTimeOffset BuiltAt { get; }
    public TimeSpan BuildTime { get; }

    /// <summary>Every action some policy names, plus the well-known checkpoint actions (for action search).</summary>
    public IReadOnlyList<string> KnownActions { get; }

    public static PolicySnapshot Empty(string tenantId, TimeProvider time) => Build(tenantId, TenantState.Empty, 0, time);

    /// <summary>Compiles <paramref name="state"/>. Pass the <paramref name="previous"/> snapshot to reuse what did not change.</summary>
    public static PolicySnapshot Build(string tenantId, TenantState state, long version, TimeProvider time, PolicySnapshot? previous = null)
    {
        var started = Stopwatch.GetTimestamp();
        var userGroups = previous is not null && ReferenceEquals(previous.State.Groups, state.Groups)
            ? previous._userGroups
            : GroupClosure(state.Groups);
        var samePolicies = previous is not null && ReferenceEquals(previous.State.Policies, state.Policies);
        var actions = !samePolicies
            ? IndexPolicies(state)
            : ReferenceEquals(previous!.State.Agents, state.Agents)
                ? previous._actions
                : ReindexAgents(previous._actions, previous.State.Agents, state.Agents); // e.g. the kill switch: only agents changed
        var lookups = Lookups.For(state, previous?._lookups);
        return new PolicySnapshot(tenantId, state, version, time, userGroups, actions, lookups, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>A new snapshot with <paramref name="changes"/> applied.</summary>
    public PolicySnapshot Apply(IEnumerable<SourceChange> changes, long version) =>
        Build(TenantId, State.Apply(changes), version, _time, this);

    /// <summary>The groups a user is in, directly or through nesting.</summary>
    public IReadOnlyList<string> GroupsOf(string userId) => _userGroups.TryGetValue(userId, out var groups) ? groups : [];

    private static FrozenDictionary<string, string[]> GroupClosure(IReadOnlyDictionary<string, GroupFact> groups)
    {
        // parents[g] = the groups that list g as a member group.
        var parents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var group in groups.Values)
        {
            foreach (var child in group.MemberGroups)
            {
                if (!parents.TryGetValue(child, out var list))
                    parents[child] = list = [];
                list.Add(group.Id);
            }
        }

        var ancestors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string[] AncestorsOf(string groupId)
        {
            if (ancestors.TryGetValue(groupId, out var known))
                return known;
            // Iterative walk: nesting may be deep, and cycles must not loop.
            var seen = new HashSet<string>(StringComparer.Ordinal) { groupId };
            var stack = new Stack<string>();
            stack.Push(groupId);
            while (stack.Count > 0)
            {
                if (!parents.TryGetValue(stack.Pop(), out var ps))
                    continue;
                foreach (var p in ps)
                {
                    if (seen.Add(p))
                        stack.Push(p);
                }
            }
            return ancestors[groupId] = [.. seen];
        }

        var direct = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var group in groups.Values)
        {
            foreach (var user in group.MemberUsers)
            {
                if (!direct.TryGetValue(user, out var set))
                    direct[user] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(group.Id);
            }
        }

        var result = new Dictionary<string, string[]>(direct.Count, StringComparer.Ordinal);
        foreach (var (user, directGroups) in direct)
        {
            var all = new HashSet<string>(StringComparer.Ordinal);
            foreach (var g in directGroups)
                all.UnionWith(AncestorsOf(g));
            result[user] = [.. all];
        }
        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Policies unchanged, agents changed: keep every user index, redo the grant matches of the agents that changed.</summary>
    private static FrozenDictionary<string, ActionIndex> ReindexAgents(
        FrozenDictionary<string, ActionIndex> actions, IReadOnlyDictionary<string, AgentFact> before, IReadOnlyDictionary<string, AgentFact> after)
    {
        var changed = new List<string>();
        foreach (var (id, agent) in after)
        {
            if (!before.TryGetValue(id, out var old) || !ReferenceEquals(old, agent))
                changed.Add(id);
        }
        changed.AddRange(before.Keys.Where(id => !after.ContainsKey(id)));
        return actions.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.WithAgents(changed, after), StringComparer.Ordinal);
    }

    private static FrozenDictionary<string, ActionIndex> IndexPolicies(TenantState state)
    {
        var builders = new Dictionary<string, ActionIndex.Builder>(StringComparer.Ordinal);
        foreach (var policy in state.Policies.Values)
        {
            if (policy.Status == PolicyStatus.Disabled)
                continue;
            var compiled = CompiledPolicy.For(policy);
            foreach (var action in policy.Actions)
            {
                if (!builders.TryGetValue(action, out var builder))
                    builders[action] = builder = new ActionIndex.Builder();
                builder.Add(compiled);
            }
        }
        return builders.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Build(state.Agents.Values), StringComparer.Ordinal);
    }

    /// <summary>The policies of one action, indexed by who they name.</summary>
    internal sealed class ActionIndex
    {
        public required FrozenDictionary<string, CompiledPolicy[]> ByUser { get; init; }
        public required FrozenDictionary<string, CompiledPolicy[]> ByGroup { get; init; }
        public required CompiledPolicy[] AnyAuthenticated { get; init; }

        /// <summary>Grants to agents (policies without subjects), already matched against each known agent.</summary>
        public required FrozenDictionary<string, CompiledPolicy[]> ByAgent { get; init; }

        /// <summary>Every grant to agents of this action, to match agents that change later.</summary>
        public required CompiledPolicy[] AgentGrants { get; init; }

        public static CompiledPolicy[] GrantsFor(CompiledPolicy[] grants, AgentFact agent) =>
            [.. grants.Where(p => p.Policy.Agents!.Matches(agent.Id, agent.Tags, agent.BlueprintId))];

        public ActionIndex WithAgents(IReadOnlyList<string> changed, IReadOnlyDictionary<string, AgentFact> agents)
        {
            if (AgentGrants.Length == 0 || changed.Count == 0)
                return this;
            var byAgent = new Dictionary<string, CompiledPolicy[]>(ByAgent, StringComparer.Ordinal);
            foreach (var id in changed)
            {
                byAgent.Remove(id);
                if (agents.TryGetValue(id, out var agent) && GrantsFor(AgentGrants, agent) is { Length: > 0 } grants)
                    byAgent[id] = grants;
            }
            return new ActionIndex { ByUser = ByUser, ByGroup = ByGroup, AnyAuthenticated = AnyAuthenticated, AgentGrants = AgentGrants, ByAgent = byAgent.ToFrozenDictionary(StringComparer.Ordinal) };
        }

        internal sealed class Builder
        {
            private readonly Dictionary<string, List<CompiledPolicy>> _byUser = new(StringComparer.Ordinal);
            private readonly Dictionary<string, List<CompiledPolicy>> _byGroup = new(StringComparer.Ordinal);
            private readonly List<CompiledPolicy> _any = [];
            private readonly List<CompiledPolicy> _agentGrants = [];

            public void Add(CompiledPolicy policy)
            {
                if (policy.Policy.Subjects is not { } subjects)
                {
                    _agentGrants.Add(policy);
                    return;
                }
                if (subjects.AnyAuthenticated)
                    _any.Add(policy);
                foreach (var user in subjects.Users)
                    Append(_byUser, user, policy);
                foreach (var group in subjects.Groups)
                    Append(_byGroup, group, policy);
            }

            public ActionIndex Build(IEnumerable<AgentFact> agents)
            {
                var byAgent = new Dictionary<string, CompiledPolicy[]>(StringComparer.Ordinal);
                CompiledPolicy[] grants = [.. _agentGrants];
                if (grants.Length > 0)
                {
                    foreach (var agent in agents)
                    {
                        var matched = GrantsFor(grants, agent);
                        if (matched.Length > 0)
                            byAgent[agent.Id] = matched;
                    }
                }
                return new ActionIndex
                {
                    ByUser = _byUser.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                    ByGroup = _byGroup.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                    AnyAuthenticated = [.. _any],
                    AgentGrants = grants,
                    ByAgent = byAgent.ToFrozenDictionary(StringComparer.Ordinal),
                };
            }

            private static void Append(Dictionary<string, List<CompiledPolicy>> map, string key, CompiledPolicy policy)
            {
                if (!map.TryGetValue(key, out var list))
                    map[key] = list = [];
                list.Add(policy);
            }
        }
    }
}
