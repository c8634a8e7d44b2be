using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

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
            if (action.AgentGrants.Length > 0 && action.GrantsFor(agent) is { Length: > 0 } matched)
                grants[action.Ordinal] = matched;
        }
        var filters = new ulong[(index.AgentFilters.Length + 63) >> 6];
        foreach (var i in index.AgentFilterIndex.Matching(agent))
            filters[i >> 6] |= 1UL << (i & 63);
        return new AgentEntry(agent, grants, filters);
    }
}
