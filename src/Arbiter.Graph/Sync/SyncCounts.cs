namespace Arbiter.Graph.Sync;

/// <summary>What one resource (users, groups, agents) did during a run.</summary>
public sealed record SyncCounts(int Pages, int Upserted, int Unchanged, int Deleted, int Disabled, string Mode);
