using System.Runtime.CompilerServices;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Governance.Entitlements;

/// <summary>
/// Reverse lookups over one snapshot that drift detection needs and decisions do not: who may invoke which agent
/// (as policies name them), group nesting both ways, an agent's own grants, and the agents a user answers for.
/// Built once per snapshot and cached with it. Conditions and forbids are not resolved here: these are candidate
/// sets (supersets), which the calculator confirms by evaluation.
/// </summary>
internal sealed class TenantIndex
{
    private static readonly ConditionalWeakTable<PolicySnapshot, TenantIndex> Cache = [];

    private readonly TenantState _state;
    private readonly Dictionary<string, List<string>> _parents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _invokeGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _forbidGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _invokeUsers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _anyInvoke = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _agentsByInvokeGroup = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _agentsByInvokeUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Policy>> _grants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Policy>> _invokePolicies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _answersFor = new(StringComparer.Ordinal);

    private TenantIndex(PolicySnapshot snapshot)
    {
        _state = snapshot.State;
        foreach (var group in _state.Groups.Values)
        {
            foreach (var child in group.MemberGroups)
                Add(_parents, child, group.Id);
        }
        foreach (var agent in _state.Agents.Values)
        {
            if (agent.Owner is { } owner)
                Add(_answersFor, owner, agent.Id);
            foreach (var sponsor in agent.Sponsors)
                Add(_answersFor, sponsor, agent.Id);
        }
        foreach (var policy in _state.Policies.Values)
        {
            if (policy.Status != PolicyStatus.Active)
                continue;
            if (policy.Subjects is null)
            {
                foreach (var agent in AgentsMatching(policy.Agents))
                    Add(_grants, agent, policy);
                continue;
            }
            NamedUsers.UnionWith(policy.Subjects.Users);
            HasUserConditions |= policy.Condition is not null;
            if (!policy.Actions.Contains(WellKnownActions.AgentInvoke))
            {
                EntitlementGroups.UnionWith(policy.Subjects.Groups);
                EntitlementAny |= policy.Subjects.AnyAuthenticated;
                continue;
            }
            foreach (var agent in AgentsMatching(policy.Agents))
            {
                Add(_invokePolicies, agent, policy);
                if (policy.Effect == Effect.Forbid)
                {
                    foreach (var g in policy.Subjects.Groups)
                        Add(_forbidGroups, agent, g);
                    continue;
                }
                if (policy.Subjects.AnyAuthenticated)
                    _anyInvoke.Add(agent);
                foreach (var g in policy.Subjects.Groups)
                {
                    Add(_invokeGroups, agent, g);
                    Add(_agentsByInvokeGroup, g, agent);
                }
                foreach (var u in policy.Subjects.Users)
                {
                    Add(_invokeUsers, agent, u);
                    Add(_agentsByInvokeUser, u, agent);
                }
            }
        }
    }

    public static TenantIndex For(PolicySnapshot snapshot) => Cache.GetValue(snapshot, s => new TenantIndex(s));

    /// <summary>Users any active user policy names directly (they get their own evaluation class).</summary>
    public HashSet<string> NamedUsers { get; } = new(StringComparer.Ordinal);

    /// <summary>Groups named by user entitlements other than agent.invoke (what members may reach).</summary>
    public HashSet<string> EntitlementGroups { get; } = new(StringComparer.Ordinal);

    public bool EntitlementAny { get; private set; }

    public bool HasUserConditions { get; private set; }

    public IEnumerable<string> AgentsMatching(AgentSelector? selector)
    {
        if (selector is null || selector.Any)
            return _state.Agents.Keys;
        if (selector.Tags.Count == 0 && selector.Blueprints.Count == 0)
            return selector.Ids.Where(_state.Agents.ContainsKey);
        return _state.Agents.Values.Where(a => selector.Matches(a.Id, a.Tags, a.BlueprintId)).Select(a => a.Id);
    }

    /// <summary>Active policies without subjects (grants) that match the agent, permits and forbids.</summary>
    public IReadOnlyList<Policy> GrantsOf(string agentId) => _grants.TryGetValue(agentId, out var list) ? list : [];

    /// <summary>Active agent.invoke policies whose agent selector matches the agent.</summary>
    public IReadOnlyList<Policy> InvokePoliciesOf(string agentId) => _invokePolicies.TryGetValue(agentId, out var list) ? list : [];

    public bool AnyUserMayInvoke(string agentId) => _anyInvoke.Contains(agentId);

    public IReadOnlyCollection<string> InvokeUsersOf(string agentId) => _invokeUsers.TryGetValue(agentId, out var set) ? set : [];

    /// <summary>Groups policies permit to invoke the agent, with every group nested in them, less groups a forbid names (and their nested groups).</summary>
    public SortedSet<string> InvokingGroupsOf(string agentId)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        if (_invokeGroups.TryGetValue(agentId, out var named))
        {
            foreach (var g in named)
                result.UnionWith(Descendants(g));
        }
        if (_forbidGroups.TryGetValue(agentId, out var forbidden))
        {
            foreach (var g in forbidden)
                result.ExceptWith(Descendants(g));
        }
        return result;
    }

    /// <summary>Agents a user may (by policy, before evaluation) invoke: through their own id, any of their groups, or "any authenticated".</summary>
    public IEnumerable<string> AgentsInvokableBy(string userId, IEnumerable<string> groupsOfUser)
    {
        var result = new HashSet<string>(_anyInvoke, StringComparer.Ordinal);
        if (_agentsByInvokeUser.TryGetValue(userId, out var direct))
            result.UnionWith(direct);
        foreach (var g in groupsOfUser)
        {
            if (_agentsByInvokeGroup.TryGetValue(g, out var viaGroup))
                result.UnionWith(viaGroup);
        }
        return result;
    }

    /// <summary>Agents whose invoke policies name one of <paramref name="groups"/>.</summary>
    public IEnumerable<string> AgentsInvokableViaGroups(IEnumerable<string> groups) =>
        groups.SelectMany(g => _agentsByInvokeGroup.TryGetValue(g, out var set) ? set : (IEnumerable<string>)[]).Distinct(StringComparer.Ordinal);

    /// <summary>Agents the user owns or sponsors.</summary>
    public IReadOnlyCollection<string> AgentsAnsweredForBy(string userId) => _answersFor.TryGetValue(userId, out var set) ? set : [];

    /// <summary>The group and every group nested in it (cycle-safe).</summary>
    public HashSet<string> Descendants(string groupId) => Walk(groupId, g => _state.Groups.TryGetValue(g, out var fact) ? fact.MemberGroups : []);

    /// <summary>The group and every group it is nested in (cycle-safe).</summary>
    public HashSet<string> Ancestors(string groupId) => Walk(groupId, g => _parents.TryGetValue(g, out var list) ? list : []);

    /// <summary>Users in the group directly or through nested groups.</summary>
    public HashSet<string> MembersOf(string groupId)
    {
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in Descendants(groupId))
        {
            if (_state.Groups.TryGetValue(g, out var fact))
                users.UnionWith(fact.MemberUsers);
        }
        return users;
    }

    private static HashSet<string> Walk(string start, Func<string, IEnumerable<string>> next)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var stack = new Stack<string>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            foreach (var n in next(stack.Pop()))
            {
                if (seen.Add(n))
                    stack.Push(n);
            }
        }
        return seen;
    }

    private static void Add<T>(Dictionary<string, HashSet<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var set))
            map[key] = set = [];
        set.Add(value);
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = [];
        list.Add(value);
    }
}
