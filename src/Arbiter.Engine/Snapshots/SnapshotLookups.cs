using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>Frozen copies of the entity tables (users are in <see cref="DirectoryTables"/>): the immutable dictionaries are cheap to change, these are cheap to read.</summary>
internal sealed record SnapshotLookups(
    TenantState Source,
    FrozenDictionary<string, AgentFact> Agents,
    FrozenDictionary<string, ToolFact> Tools,
    FrozenDictionary<string, McpServerFact> Servers,
    FrozenDictionary<string, DataResourceFact> Data)
{
    public static SnapshotLookups For(TenantState state, SnapshotLookups? previous) => new(
        state,
        Reuse(previous?.Source.Agents, state.Agents, previous?.Agents),
        Reuse(previous?.Source.Tools, state.Tools, previous?.Tools),
        Reuse(previous?.Source.Servers, state.Servers, previous?.Servers),
        Reuse(previous?.Source.DataResources, state.DataResources, previous?.Data));

    private static FrozenDictionary<string, T> Reuse<T>(object? before, IReadOnlyDictionary<string, T> now, FrozenDictionary<string, T>? frozen) =>
        frozen is not null && ReferenceEquals(before, now) ? frozen : now.ToFrozenDictionary(StringComparer.Ordinal);
}
