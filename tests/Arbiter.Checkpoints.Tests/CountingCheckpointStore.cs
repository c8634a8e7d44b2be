using Arbiter.Runtime.Snapshots.Checkpoints;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The real checkpoint store, counting reads and the writes that were accepted and refused.</summary>
public sealed class CountingCheckpointStore(ICheckpointStore inner) : ICheckpointStore
{
    private int _reads;
    private int _written;
    private int _refused;

    public int Reads => Volatile.Read(ref _reads);

    public int Written => Volatile.Read(ref _written);

    public int Refused => Volatile.Read(ref _refused);

    public Task<StoredCheckpoint?> ReadAsync(string tenantId, long maxBytes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ReadAsync(tenantId, maxBytes, cancellationToken);
    }

    public Task<CheckpointHead?> GetHeadAsync(string tenantId, CancellationToken cancellationToken) => inner.GetHeadAsync(tenantId, cancellationToken);

    public async Task<bool> TryWriteAsync(string tenantId, ReadOnlyMemory<byte> content, CheckpointHead head, string? ifMatch, CancellationToken cancellationToken)
    {
        var written = await inner.TryWriteAsync(tenantId, content, head, ifMatch, cancellationToken);
        Interlocked.Increment(ref written ? ref _written : ref _refused);
        return written;
    }
}
