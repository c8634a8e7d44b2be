using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// An agent as evaluation needs it: the fact, its grants per action (by <see cref="ActionIndex.Ordinal"/>), and
/// which agent-restricted user policies it satisfies (<see cref="Candidate.AgentFilter"/>): the few it passes as a
/// sorted list, or a bit per filter when it passes many. With tens of thousands of filters a bitset per agent is
/// kilobytes that each decision reads one random word of; an agent named by a few policies needs a few ints.
/// </summary>
internal sealed class AgentEntry(AgentFact fact, Candidate[]?[] grants, int[]? passing, ulong[]? filters)
{
    /// <summary>The bytes from the reference that hold the method table pointer and the fields (for a prefetch).</summary>
    public const int HotBytes = 48;

    public AgentFact Fact { get; } = fact;
    public Candidate[]?[] Grants { get; } = grants;

    /// <summary>
    /// Whether the agent may act at all (enabled, not suspended), copied from the fact: every decision asks it first,
    /// and on a large tenant the fact is another cache miss, asked for only once the entry is known to be usable.
    /// </summary>
    public bool Usable { get; } = fact is { Enabled: true, Suspended: false };

    public bool Passes(int filter) => passing is not null
        ? Array.BinarySearch(passing, filter) >= 0
        : (filters![filter >> 6] & (1UL << (filter & 63))) != 0;

    public static AgentEntry Build(AgentFact agent, PolicyIndex index)
    {
        var grants = new Candidate[]?[index.Actions.Count];
        foreach (var action in index.Actions.Values)
        {
            if (action.AgentGrants.Length > 0 && action.GrantsFor(agent) is { Length: > 0 } matched)
                grants[action.Ordinal] = matched;
        }
        var passing = index.AgentFilterIndex.Matching(agent);
        // A list costs 32 bits a filter passed, the bitset one bit a filter there is: the smaller one is kept.
        if (passing.Length * 32 <= index.AgentFilters.Length + 63)
            return new AgentEntry(agent, grants, passing, null);
        var filters = new ulong[(index.AgentFilters.Length + 63) >> 6];
        foreach (var i in passing)
            filters[i >> 6] |= 1UL << (i & 63);
        return new AgentEntry(agent, grants, null, filters);
    }
}
