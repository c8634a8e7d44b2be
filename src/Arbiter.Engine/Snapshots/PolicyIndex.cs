using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// The compiled policies of every action; the ordinal of each group some policy names; and the user policies that
/// restrict agents, in filter order (<see cref="AgentEntry.Passes"/>).
/// </summary>
internal sealed record PolicyIndex(
    FrozenDictionary<string, ActionIndex> Actions, FrozenDictionary<string, int> GroupOrdinals, CompiledPolicy[] AgentFilters, ResourceOrdinals Resources)
{
    /// <summary>Some enforced policy has a condition (which may read the request's JSON).</summary>
    public bool HasConditions { get; init; }

    /// <summary><see cref="AgentFilters"/> indexed by their agent selectors (positions are filter bits).</summary>
    public AgentSelectorIndex AgentFilterIndex { get; } = new([.. AgentFilters.Select(f => f.Policy.Agents!)]);
}
