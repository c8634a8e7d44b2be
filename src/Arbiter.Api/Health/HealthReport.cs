using Arbiter.Runtime.Snapshots;

namespace Arbiter.Api.Health;

/// <summary>
/// What an admin of a tenant learns: the overall <see cref="Status"/> and why (<see cref="Reasons"/>: stale snapshots,
/// the decision log's state or losses), their own tenant's snapshot (version, age, store reachability), the decision log
/// (<see cref="DecisionLog"/>: "healthy" or why not; figures in <see cref="DecisionLogStats"/>), their tenant's Entra
/// sync and the governance queue (<see cref="Governance"/>: off, ok, missing or unreachable).
/// </summary>
public sealed record HealthReport(
    string Status,
    DateTimeOffset CheckedAt,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<SnapshotStatus> Snapshots,
    string DecisionLog,
    DecisionLogFigures? DecisionLogStats,
    SyncHealth? Sync,
    string Governance);
