using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// An immutable, indexed view of one tenant's policies and directory facts. Thread-safe: every field is frozen at
/// build time; evaluation allocates only its answer. A new snapshot is built from the previous one plus changes,
/// reusing compiled policies, the group closure and the per-agent tables when they did not change.
/// </summary>
public sealed partial class PolicySnapshot
{
    private readonly FrozenDictionary<string, string[]> _userGroups;
    private readonly PolicyIndex _index;
    private readonly FrozenDictionary<string, ActionIndex> _actions;
    private readonly ActionIndex? _invoke;
    private readonly FrozenDictionary<string, Principal> _principals;
    private readonly FrozenDictionary<string, AgentEntry> _agents;
    private readonly ResolvedResources _resources;
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

    /// <summary>
    /// A user (or a group member the directory does not list as a user, e.g. an agent's owner) as evaluation needs
    /// them: the fact, if any, and the policy-named groups they are in — transitively — as ordinals into
    /// <see cref="ActionIndex.ByGroup"/>, so scanning a user's group policies costs array reads, not string lookups.
    /// Stored by value in the lookup, with up to <see cref="InlineGroups"/> ordinals inside it: finding a user is the
    /// one random memory access over a large table each decision makes, so what it needs sits in the same place.
    /// </summary>
    internal readonly struct Principal
    {
        private const int InlineGroups = 8;
        private readonly GroupSlots _inline;
        private readonly int[]? _overflow;

        public Principal(UserFact? fact, IReadOnlyList<int> policyGroups)
        {
            Fact = fact;
            Enabled = fact is { Enabled: true };
            GroupCount = policyGroups.Count;
            for (var i = 0; i < Math.Min(InlineGroups, policyGroups.Count); i++)
                _inline[i] = policyGroups[i];
            if (policyGroups.Count > InlineGroups)
                _overflow = [.. policyGroups.Skip(InlineGroups)];
        }

        public UserFact? Fact { get; }

        /// <summary>Copied from the fact: the one field every decision reads, without a second object to visit.</summary>
        public bool Enabled { get; }

        public int GroupCount { get; }

        public int Group(int i) => i < InlineGroups ? _inline[i] : _overflow![i - InlineGroups];

        public static readonly Principal Unknown = new(null, []);

        [System.Runtime.CompilerServices.InlineArray(InlineGroups)]
        private struct GroupSlots
        {
            private int _element;
        }
    }

    /// <summary>
    /// An agent as evaluation needs it: the fact, its grants per action (by <see cref="ActionIndex.Ordinal"/>), and
    /// which agent-restricted user policies it satisfies (a bit per <see cref="Candidate.AgentFilter"/>).
    /// </summary>
    internal sealed class AgentEntry(AgentFact fact, Candidate[]?[] grants, ulong[] filters)
    {
        public AgentFact Fact { get; } = fact;
        public Candidate[]?[] Grants { get; } = grants;

        public bool Passes(int filter) => (filters[filter >> 6] & (1UL << (filter & 63))) != 0;

        public static AgentEntry Build(AgentFact agent, PolicyIndex index)
        {
            var grants = new Candidate[]?[index.Actions.Count];
            foreach (var action in index.Actions.Values)
            {
                if (action.AgentGrants.Length > 0 && ActionIndex.GrantsFor(action.AgentGrants, agent) is { Length: > 0 } matched)
                    grants[action.Ordinal] = matched;
            }
            var filters = new ulong[(index.AgentFilters.Length + 63) >> 6];
            for (var i = 0; i < index.AgentFilters.Length; i++)
            {
                if (index.AgentFilters[i].Policy.Agents!.Matches(agent.Id, agent.Tags, agent.BlueprintId))
                    filters[i >> 6] |= 1UL << (i & 63);
            }
            return new AgentEntry(agent, grants, filters);
        }
    }

    /// <summary>
    /// The compiled policies of every action; the ordinal of each group some policy names; and the user policies that
    /// restrict agents, in filter order (<see cref="AgentEntry.Passes"/>).
    /// </summary>
    internal sealed record PolicyIndex(
        FrozenDictionary<string, ActionIndex> Actions, FrozenDictionary<string, int> GroupOrdinals, CompiledPolicy[] AgentFilters, ResourceOrdinals Resources)
    {
        /// <summary>Some enforced policy has a condition (which may read the request's JSON).</summary>
        public bool HasConditions { get; init; }
    }

    /// <summary>A resource resolved ahead of time: its view with ordinals, or why requests for it are denied.</summary>
    internal readonly record struct Resolved(ResourceView View, string? Problem);

    /// <summary>Tools and data resources resolved once per snapshot, so a decision finds its resource with one lookup.</summary>
    internal sealed record ResolvedResources(TenantState Source, PolicyIndex Index, FrozenDictionary<string, Resolved> Tools, FrozenDictionary<string, Resolved> Data)
    {
        public static ResolvedResources For(TenantState state, PolicyIndex index, ResolvedResources? previous)
        {
            if (previous is not null && ReferenceEquals(previous.Index, index) && ReferenceEquals(previous.Source.Tools, state.Tools)
                && ReferenceEquals(previous.Source.Servers, state.Servers) && ReferenceEquals(previous.Source.DataResources, state.DataResources))
                return previous with { Source = state };
            var tools = state.Tools.Values.ToFrozenDictionary(t => t.Id, t => new Resolved(
                index.Resources.Indexed(new ResourceView(ResourceTypes.Tool, t.Id, t.Server, t.Sensitivity, t.Tags, t.Attributes) { TypeBit = ResourceTypeBits.Tool }),
                state.Servers.ContainsKey(t.Server) ? null : $"tool '{t.Id}' belongs to unknown MCP server '{t.Server}'"), StringComparer.Ordinal);
            var data = state.DataResources.Values.ToFrozenDictionary(d => d.Id, d => new Resolved(
                index.Resources.Indexed(new ResourceView(d.Type, d.Id, null, d.Classification, d.Tags, d.Attributes) { TypeBit = ResourceTypeBits.Of(d.Type) }),
                null), StringComparer.Ordinal);
            return new ResolvedResources(state, index, tools, data);
        }
    }

    private PolicySnapshot(string tenantId, TenantState state, long version, TimeProvider time, FrozenDictionary<string, string[]> userGroups,
        PolicyIndex index, FrozenDictionary<string, Principal> principals, FrozenDictionary<string, AgentEntry> agents, ResolvedResources resources,
        Lookups lookups, TimeSpan buildTime)
    {
        _resources = resources;
        _lookups = lookups;
        _index = index;
        _principals = principals;
        _agents = agents;
        _actions = index.Actions;
        _invoke = _actions.GetValueOrDefault(WellKnownActions.AgentInvoke);
        TenantId = tenantId;
        State = state;
        Version = version;
        _time = time;
        _userGroups = userGroups;
        BuiltAt = time.GetUtcNow();
        BuildTime = buildTime;
        KnownActions = [.. WellKnownActions.All.Union(_actions.Keys).Order(StringComparer.Ordinal)];
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
        var index = samePolicies ? previous!._index : IndexPolicies(state, previous?._index.GroupOrdinals);
        // When only agents changed (the kill switch, Entra sync) only the changed agents are matched again.
        var agents = samePolicies && ReferenceEquals(previous!.State.Agents, state.Agents)
            ? previous._agents
            : AgentEntries(state.Agents, index, samePolicies ? previous!._agents : null);
        var lookups = Lookups.For(state, previous?._lookups);
        var principals = previous is not null && ReferenceEquals(previous._userGroups, userGroups) && ReferenceEquals(previous._lookups.Users, lookups.Users)
            && ReferenceEquals(previous._index.GroupOrdinals, index.GroupOrdinals)
            ? previous._principals
            : Principals(lookups.Users, userGroups, index.GroupOrdinals);
        var resources = ResolvedResources.For(state, index, previous?._resources);
        return new PolicySnapshot(tenantId, state, version, time, userGroups, index, principals, agents, resources, lookups, Stopwatch.GetElapsedTime(started));
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

    private static FrozenDictionary<string, Principal> Principals(
        FrozenDictionary<string, UserFact> users, FrozenDictionary<string, string[]> userGroups, FrozenDictionary<string, int> groupOrdinals)
    {
        var result = new Dictionary<string, Principal>(users.Count, StringComparer.Ordinal);
        var ordinals = new List<int>();
        foreach (var id in users.Keys.Concat(userGroups.Keys))
        {
            if (result.ContainsKey(id))
                continue;
            ordinals.Clear();
            if (userGroups.TryGetValue(id, out var groups))
            {
                foreach (var group in groups)
                {
                    if (groupOrdinals.TryGetValue(group, out var ordinal))
                        ordinals.Add(ordinal);
                }
            }
            result[id] = new Principal(users.GetValueOrDefault(id), ordinals);
        }
        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>One entry per agent; an agent whose fact did not change keeps its entry from <paramref name="previous"/> (same policies).</summary>
    private static FrozenDictionary<string, AgentEntry> AgentEntries(
        IReadOnlyDictionary<string, AgentFact> agents, PolicyIndex index, FrozenDictionary<string, AgentEntry>? previous)
    {
        var result = new Dictionary<string, AgentEntry>(agents.Count, StringComparer.Ordinal);
        foreach (var (id, agent) in agents)
        {
            result[id] = previous is not null && previous.TryGetValue(id, out var known) && ReferenceEquals(known.Fact, agent)
                ? known
                : AgentEntry.Build(agent, index);
        }
        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// Indexes every enforced policy. Group ordinals of the previous index are kept (a group no policy names any more
    /// keeps an empty run), so that when no new group is named the users' ordinal lists stay valid and are reused.
    /// </summary>
    private static PolicyIndex IndexPolicies(TenantState state, FrozenDictionary<string, int>? previousGroups)
    {
        var groups = previousGroups is null ? new Dictionary<string, int>(StringComparer.Ordinal) : new Dictionary<string, int>(previousGroups, StringComparer.Ordinal);
        var filters = new List<CompiledPolicy>();
        var builders = new Dictionary<string, ActionIndex.Builder>(StringComparer.Ordinal);
        var enforced = state.Policies.Values.Where(p => p.Status != PolicyStatus.Disabled).ToList();
        var resources = ResourceOrdinals.Of(enforced);
        foreach (var policy in enforced)
        {
            foreach (var group in policy.Subjects?.Groups ?? [])
                groups.TryAdd(group, groups.Count);
            var compiled = CompiledPolicy.For(policy);
            var filter = -1;
            if (policy.IsUserPolicy && policy.Agents is { Any: false })
            {
                filter = filters.Count;
                filters.Add(compiled);
            }
            foreach (var action in policy.Actions)
            {
                if (!builders.TryGetValue(action, out var builder))
                    builders[action] = builder = new ActionIndex.Builder(builders.Count);
                builder.Add(new Candidate(compiled, filter, resources));
            }
        }
        return new PolicyIndex(
            builders.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Build(groups), StringComparer.Ordinal),
            previousGroups is not null && previousGroups.Count == groups.Count ? previousGroups : groups.ToFrozenDictionary(StringComparer.Ordinal),
            [.. filters],
            resources)
        {
            HasConditions = enforced.Any(p => p.Condition is not null),
        };
    }

    /// <summary>The policies of one action, indexed by who they name.</summary>
    internal sealed class ActionIndex
    {
        /// <summary>The action's position in <see cref="AgentEntry.Grants"/>.</summary>
        public required int Ordinal { get; init; }
        public required FrozenDictionary<string, Candidate[]> ByUser { get; init; }

        /// <summary>
        /// The policies naming each group, by the group's ordinal (<see cref="PolicyIndex.GroupOrdinals"/>): one
        /// contiguous array of every group's candidates, and where each group's run starts and how long it is.
        /// </summary>
        public required Candidate[] GroupCandidates { get; init; }
        public required (int Start, int Count)[] ByGroup { get; init; }
        public required Candidate[] AnyAuthenticated { get; init; }

        /// <summary>Every grant to agents (policies without subjects) of this action, matched per agent into <see cref="AgentEntry.Grants"/>.</summary>
        public required Candidate[] AgentGrants { get; init; }

        public static Candidate[] GrantsFor(Candidate[] grants, AgentFact agent) =>
            [.. grants.Where(c => c.Policy.Policy.Agents!.Matches(agent.Id, agent.Tags, agent.BlueprintId))];

        internal sealed class Builder(int ordinal)
        {
            private readonly Dictionary<string, List<Candidate>> _byUser = new(StringComparer.Ordinal);
            private readonly Dictionary<string, List<Candidate>> _byGroup = new(StringComparer.Ordinal);
            private readonly List<Candidate> _any = [];
            private readonly List<Candidate> _agentGrants = [];

            public void Add(Candidate candidate)
            {
                if (candidate.Policy.Policy.Subjects is not { } subjects)
                {
                    _agentGrants.Add(candidate);
                    return;
                }
                if (subjects.AnyAuthenticated)
                    _any.Add(candidate);
                foreach (var user in subjects.Users)
                    Append(_byUser, user, candidate);
                foreach (var group in subjects.Groups)
                    Append(_byGroup, group, candidate);
            }

            public ActionIndex Build(Dictionary<string, int> groupOrdinals)
            {
                var byGroup = new (int Start, int Count)[groupOrdinals.Count];
                var pool = new List<Candidate>();
                foreach (var (group, candidates) in _byGroup)
                {
                    byGroup[groupOrdinals[group]] = (pool.Count, candidates.Count);
                    pool.AddRange(candidates);
                }
                return new ActionIndex
                {
                    Ordinal = ordinal,
                    ByUser = _byUser.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                    GroupCandidates = [.. pool],
                    ByGroup = byGroup,
                    AnyAuthenticated = [.. _any],
                    AgentGrants = [.. _agentGrants],
                };
            }

            private static void Append(Dictionary<string, List<Candidate>> map, string key, Candidate candidate)
            {
                if (!map.TryGetValue(key, out var list))
                    map[key] = list = [];
                list.Add(candidate);
            }
        }
    }
}
