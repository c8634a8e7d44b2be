using Arbiter.Runtime.Snapshots.Checkpoints;

namespace Arbiter.Checkpoints.Bench;

/// <summary>The real checkpoint store, counting requests and bytes read.</summary>
internal sealed class CountingCheckpointStore(ICheckpointStore inner) : ICheckpointStore
{
    public int Requests;
    public long BytesRead;
    public long Ticks;

    public async Task<StoredCheckpoint?> ReadAsync(string tenantId, long maxBytes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Requests);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var stored = await inner.ReadAsync(tenantId, maxBytes, cancellationToken);
        Interlocked.Add(ref Ticks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
        Interlocked.Add(ref BytesRead, stored?.Content.Length ?? 0);
        return stored;
    }

    public Task<CheckpointHead?> GetHeadAsync(string tenantId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Requests);
        return inner.GetHeadAsync(tenantId, cancellationToken);
    }

    public Task<bool> TryWriteAsync(string tenantId, ReadOnlyMemory<byte> content, CheckpointHead head, string? ifMatch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Requests);
        return inner.TryWriteAsync(tenantId, content, head, ifMatch, cancellationToken);
    }
}
