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
    private readonly DirectoryTables _directory;
    private readonly PolicyIndex _index;
    private readonly FrozenDictionary<string, ActionIndex> _actions;
    private readonly ActionIndex? _invoke;
    private readonly ShardedTable<Principal> _principals;
    private readonly ShardedTable<AgentEntry> _agents;
    private readonly ResolvedResources _resources;
    private readonly TimeProvider _time;
    private readonly SnapshotLookups _lookups;


    private PolicySnapshot(string tenantId, TenantState state, long version, TimeProvider time, DirectoryTables directory,
        PolicyIndex index, ShardedTable<AgentEntry> agents, ResolvedResources resources, SnapshotLookups lookups, TimeSpan buildTime)
    {
        _resources = resources;
        _lookups = lookups;
        _index = index;
        _directory = directory;
        _principals = directory.Principals;
        _agents = agents;
        _actions = index.Actions;
        _invoke = _actions.GetValueOrDefault(WellKnownActions.AgentInvoke);
        TenantId = tenantId;
        State = state;
        Generation = version;
        Version = state.Fingerprint;
        _time = time;
        BuiltAt = time.GetUtcNow();
        BuildTime = buildTime;
        KnownActions = [.. WellKnownActions.All.Union(_actions.Keys).Order(StringComparer.Ordinal)];
    }

    public string TenantId { get; }
    public TenantState State { get; }
    /// <summary>
    /// Which policy state decided: derived from the stored documents (<see cref="TenantState.Fingerprint"/>), so every
    /// instance with the same documents reports the same version, across restarts.
    /// </summary>
    public long Version { get; }

    /// <summary>How many times this process has built the tenant's snapshot (local; for logs).</summary>
    public long Generation { get; }

    /// <summary><see cref="Version"/> as the wire shows it: 16 hex digits.</summary>
    public string VersionText => VersionName(Version);

    public static string VersionName(long version) => ((ulong)version).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    public DateTimeOffset BuiltAt { get; }
    public TimeSpan BuildTime { get; }

    /// <summary>Every action some policy names, plus the well-known checkpoint actions (for action search).</summary>
    public IReadOnlyList<string> KnownActions { get; }

    public static PolicySnapshot Empty(string tenantId, TimeProvider time) => Build(tenantId, TenantState.Empty, 0, time);

    /// <summary>Compiles <paramref name="state"/>. Pass the <paramref name="previous"/> snapshot to reuse what did not change.</summary>
    public static PolicySnapshot Build(string tenantId, TenantState state, long version, TimeProvider time, PolicySnapshot? previous = null) =>
        Build(tenantId, state, version, time, previous, parallel: null);

    /// <summary>
    /// <see cref="Build(string, TenantState, long, TimeProvider, PolicySnapshot?)"/>; a large tenant built from scratch
    /// (<see cref="ParallelBuild"/>) indexes its policies while its memberships are grouped, and places its users on all
    /// cores. <paramref name="parallel"/> forces either path (tests).
    /// </summary>
    internal static PolicySnapshot Build(string tenantId, TenantState state, long version, TimeProvider time, PolicySnapshot? previous, bool? parallel)
    {
        var started = Stopwatch.GetTimestamp();
        PolicySide policies = default;
        DirectoryTables directory;
        if (previous is null && ParallelBuild.Pays(state.Users.Count + state.Groups.Count, parallel))
        {
            // The policy side does not read the directory and grouping the memberships does not read the policies: side
            // by side. The policy side goes first, as in the loop, so its failure is the one thrown when both fail.
            Memberships memberships = null!;
            ParallelBuild.Invoke(() => policies = PolicySideOf(state, null), () => memberships = Memberships.Of(state, parallel));
            directory = DirectoryTables.Build(state, memberships, policies.Index.GroupOrdinals, parallel);
        }
        else
        {
            policies = PolicySideOf(state, previous);
            // A user or membership change updates the entries of the users it reaches, not the whole table.
            directory = DirectoryTables.For(state, policies.Index.GroupOrdinals, previous?._directory, parallel);
        }
        var resources = ResolvedResources.For(state, policies.Index, previous?._resources);
        return new PolicySnapshot(tenantId, state, version, time, directory, policies.Index, policies.Agents, resources, policies.Lookups, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>What a snapshot builds from the policies and agents, apart from the directory.</summary>
    private readonly record struct PolicySide(PolicyIndex Index, ShardedTable<AgentEntry> Agents, SnapshotLookups Lookups);

    private static PolicySide PolicySideOf(TenantState state, PolicySnapshot? previous)
    {
        var samePolicies = previous is not null && ReferenceEquals(previous.State.Policies, state.Policies);
        var index = samePolicies ? previous!._index : IndexPolicies(state, previous?._index.GroupOrdinals);
        // When only agents changed (the kill switch, Entra sync) only the changed agents are matched again.
        var agents = samePolicies && ReferenceEquals(previous!.State.Agents, state.Agents)
            ? previous._agents
            : AgentEntries(state.Agents, index, samePolicies ? previous!._agents : null);
        return new PolicySide(index, agents, SnapshotLookups.For(state, previous?._lookups));
    }

    /// <summary>A new snapshot with <paramref name="changes"/> applied.</summary>
    public PolicySnapshot Apply(IEnumerable<SourceChange> changes, long version) =>
        Build(TenantId, State.Apply(changes), version, _time, this);

    /// <summary>The groups a user is in, directly or through nesting, in ordinal order.</summary>
    public IReadOnlyList<string> GroupsOf(string userId) => _directory.Closure.TryGetValue(userId, out var groups) ? groups : [];

    /// <summary>One entry per agent; an agent whose fact did not change keeps its entry from <paramref name="previous"/> (same policies).</summary>
    private static ShardedTable<AgentEntry> AgentEntries(
        IReadOnlyDictionary<string, AgentFact> agents, PolicyIndex index, ShardedTable<AgentEntry>? previous)
    {
        var result = new List<KeyValuePair<string, AgentEntry>>(agents.Count);
        foreach (var (id, agent) in agents)
        {
            result.Add(new(id, previous is not null && previous.TryGetValue(id, out var known) && ReferenceEquals(known.Fact, agent)
                ? known
                : AgentEntry.Build(agent, index)));
        }
        return ShardedTable<AgentEntry>.From(result, compactKeys: true);
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

}
