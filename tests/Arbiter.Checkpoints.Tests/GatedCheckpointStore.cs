using Arbiter.Runtime.Snapshots.Checkpoints;

namespace Arbiter.Checkpoints.Tests;

/// <summary>
/// The real checkpoint store, whose reads return only once <paramref name="gate"/> completes (a guard of 30 s ends a
/// read that would otherwise wait for ever, so a test that expects the gate to open fails instead of hanging).
/// </summary>
public sealed class GatedCheckpointStore(ICheckpointStore inner, Task gate) : ICheckpointStore
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public async Task<StoredCheckpoint?> ReadAsync(string tenantId, long maxBytes, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(tenantId, maxBytes, cancellationToken);
        await gate.WaitAsync(Guard, cancellationToken);
        return read;
    }

    public Task<CheckpointHead?> GetHeadAsync(string tenantId, CancellationToken cancellationToken) => inner.GetHeadAsync(tenantId, cancellationToken);

    public Task<bool> TryWriteAsync(string tenantId, ReadOnlyMemory<byte> content, CheckpointHead head, string? ifMatch, CancellationToken cancellationToken) =>
        inner.TryWriteAsync(tenantId, content, head, ifMatch, cancellationToken);
}
