using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

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

    /// <summary>The policies naming subject types (<c>subjects.types</c>): the only ones an asserted subject can match.</summary>
    public required FrozenDictionary<string, Candidate[]> BySubjectType { get; init; }

    /// <summary>Every grant to agents (policies without subjects) of this action, matched per agent into <see cref="AgentEntry.Grants"/>.</summary>
    public required Candidate[] AgentGrants { get; init; }

    /// <summary><see cref="AgentGrants"/> indexed by their agent selectors.</summary>
    public required AgentSelectorIndex AgentGrantIndex { get; init; }

    /// <summary>The grants of <see cref="AgentGrants"/> that name <paramref name="agent"/>, in their order.</summary>
    public Candidate[] GrantsFor(AgentFact agent)
    {
        var positions = AgentGrantIndex.Matching(agent);
        var grants = new Candidate[positions.Length];
        for (var i = 0; i < positions.Length; i++)
            grants[i] = AgentGrants[positions[i]];
        return grants;
    }

    internal sealed class Builder(int ordinal)
    {
        private readonly Dictionary<string, List<Candidate>> _byUser = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Candidate>> _byGroup = new(StringComparer.Ordinal);
        private readonly List<Candidate> _any = [];
        private readonly Dictionary<string, List<Candidate>> _byType = new(StringComparer.Ordinal);
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
            foreach (var type in subjects.Types)
                Append(_byType, type, candidate);
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
            var agentGrants = _agentGrants.ToArray();
            return new ActionIndex
            {
                Ordinal = ordinal,
                ByUser = _byUser.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                GroupCandidates = [.. pool],
                ByGroup = byGroup,
                AnyAuthenticated = [.. _any],
                BySubjectType = _byType.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal),
                AgentGrants = agentGrants,
                AgentGrantIndex = new AgentSelectorIndex([.. agentGrants.Select(c => c.Policy.Policy.Agents!)]),
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
