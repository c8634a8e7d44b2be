namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>What a checkpoint write did.</summary>
public enum CheckpointWrite
{
    /// <summary>The stored checkpoint already holds this snapshot.</summary>
    Unchanged,
    /// <summary>Another instance wrote one less than an interval ago: left to it.</summary>
    Fresh,
    /// <summary>Another instance replaced it between this one's look and its write (ETag refused): left to it.</summary>
    LostRace,
    Written,
}
