using System.Collections.Immutable;
using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Which user and group documents one <see cref="TenantState.Apply"/> changed, and the tables it changed them in, so
/// a snapshot built from the previous state's snapshot updates the per-user tables for those users only. It holds the
/// previous tables, not the previous state, so states never form a chain.
/// </summary>
public sealed record DirectoryDelta(
    ImmutableDictionary<string, UserFact> PreviousUsers,
    ImmutableDictionary<string, GroupFact> PreviousGroups,
    IReadOnlySet<string> Users,
    IReadOnlySet<string> Groups);
