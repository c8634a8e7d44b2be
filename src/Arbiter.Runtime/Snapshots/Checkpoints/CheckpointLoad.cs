namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>A checkpoint ready to load, or why none is used (then the tenant is read in full).</summary>
public readonly record struct CheckpointLoad(SnapshotCheckpoint? Checkpoint, string? Problem, int Bytes);
