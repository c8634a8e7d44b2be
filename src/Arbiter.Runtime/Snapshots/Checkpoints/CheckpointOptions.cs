namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// Snapshot checkpoints (section <c>Snapshot:Checkpoint</c>): one compressed object per tenant in Blob Storage holding
/// the documents a snapshot is built from and the change-feed cursor they are consistent with, so that a cold instance
/// reads one object and the change-feed tail instead of every document. Off by default; on, it needs
/// <c>Snapshot:Checkpoint:Storage</c> (a connection string) or <c>Snapshot:Checkpoint:Storage:serviceUri</c> (the
/// process's credential).
/// </summary>
public sealed class CheckpointOptions
{
    public const string Section = "Snapshot:Checkpoint";

    public bool Enabled { get; set; }

    /// <summary>The blob container holding one checkpoint per tenant.</summary>
    public string Container { get; set; } = "snapshot-checkpoints";

    /// <summary>
    /// A checkpoint older than this is not used (the tenant is read in full): it bounds the change-feed tail a cold start
    /// reads, and how far back a checkpoint's cursor must still be readable.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often an instance checks whether its snapshot changed since the stored checkpoint (and writes one if so).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest checkpoint read or written, compressed and uncompressed alike (a larger one is not used).</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;
}
