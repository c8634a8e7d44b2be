namespace Arbiter.Graph.Sync;

/// <summary>The result of syncing one tenant.</summary>
public sealed record SyncResult(
    string TenantId,
    SyncOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    TimeSpan Duration,
    IReadOnlyDictionary<string, SyncCounts> Counts,
    IReadOnlyList<SyncError> Errors)
{
    public bool Succeeded => Outcome == SyncOutcome.Succeeded;
}
