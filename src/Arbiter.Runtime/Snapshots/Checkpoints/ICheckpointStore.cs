namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// Where checkpoints are kept: one object per tenant, replaced under an ETag so that two instances writing at once do
/// not overwrite each other blindly (the second write is refused and that instance leaves the checkpoint to the first).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>The tenant's checkpoint (at most <paramref name="maxBytes"/> read), or null when there is none.</summary>
    Task<StoredCheckpoint?> ReadAsync(string tenantId, long maxBytes, CancellationToken cancellationToken);

    /// <summary>What the stored checkpoint says of itself without reading it (one metadata request), or null when there is none.</summary>
    Task<CheckpointHead?> GetHeadAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the tenant's checkpoint if the stored one is still <paramref name="ifMatch"/> (null: only if there is none).
    /// False when another writer got there first.
    /// </summary>
    Task<bool> TryWriteAsync(string tenantId, ReadOnlyMemory<byte> content, CheckpointHead head, string? ifMatch, CancellationToken cancellationToken);
}

/// <summary>A stored checkpoint as read: its bytes (<see cref="TooLarge"/> when past the bound, then without them) and ETag.</summary>
public sealed record StoredCheckpoint(ReadOnlyMemory<byte> Content, string ETag, bool TooLarge);

/// <summary>The stored checkpoint's own description, kept beside it so a writer can decide without reading it.</summary>
public sealed record CheckpointHead(long Fingerprint, DateTimeOffset WrittenAt, string? ETag = null);
