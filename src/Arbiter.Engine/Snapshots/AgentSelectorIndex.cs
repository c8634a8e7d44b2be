using System.Collections.Frozen;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// A list of agent selectors indexed by what they name (any agent, ids, blueprints, tags), so finding the selectors an
/// agent matches costs the agent's own keys, not a scan of every selector: with 10,000 agents and tens of thousands
/// of agent grants the scan made a full snapshot build quadratic. Answers exactly what
/// <see cref="AgentSelector.Matches"/> answers for each selector, as ascending positions in the list.
/// </summary>
internal sealed class AgentSelectorIndex
{
    private readonly int[] _any;
    private readonly FrozenDictionary<string, int[]> _byId;
    private readonly FrozenDictionary<string, int[]> _byBlueprint;
    private readonly FrozenDictionary<string, int[]> _byTag;

    public AgentSelectorIndex(IReadOnlyList<AgentSelector> selectors)
    {
        var any = new List<int>();
        var byId = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byBlueprint = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byTag = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < selectors.Count; i++)
        {
            var selector = selectors[i];
            if (selector.Any)
            {
                any.Add(i);
                continue;
            }
            foreach (var id in selector.Ids)
                Append(byId, id, i);
            foreach (var blueprint in selector.Blueprints)
                Append(byBlueprint, blueprint, i);
            foreach (var tag in selector.Tags)
                Append(byTag, tag, i);
        }
        _any = [.. any];
        _byId = Freeze(byId);
        _byBlueprint = Freeze(byBlueprint);
        _byTag = Freeze(byTag);
    }

    /// <summary>The positions of the selectors <paramref name="agent"/> matches, ascending, each once; empty when none.</summary>
    public int[] Matching(AgentFact agent)
    {
        var found = new List<int>(_any);
        if (_byId.TryGetValue(agent.Id, out var ids))
            found.AddRange(ids);
        if (agent.BlueprintId is { } blueprint && _byBlueprint.TryGetValue(blueprint, out var blueprints))
            found.AddRange(blueprints);
        if (_byTag.Count > 0)
        {
            foreach (var tag in agent.Tags)
            {
                if (_byTag.TryGetValue(tag, out var tagged))
                    found.AddRange(tagged);
            }
        }
        if (found.Count == 0)
            return [];
        // A selector may match by several keys (id and tag); keep the list's order, as the scan did.
        found.Sort();
        var distinct = 1;
        for (var i = 1; i < found.Count; i++)
        {
            if (found[i] != found[distinct - 1])
                found[distinct++] = found[i];
        }
        return [.. found.Take(distinct)];
    }

    private static void Append(Dictionary<string, List<int>> map, string key, int position)
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = [];
        // A selector lists a key once (sets), so a position is appended at most once per key.
        list.Add(position);
    }

    private static FrozenDictionary<string, int[]> Freeze(Dictionary<string, List<int>> map) =>
        map.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
}
