using System.Collections.Immutable;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// Reads and writes snapshot checkpoints (<see cref="CheckpointFormat"/>) in an <see cref="ICheckpointStore"/>: a read
/// checks the format version, the hash, the tenant and the age bound (<see cref="CheckpointOptions.MaxAge"/>) and says
/// why it refuses; a write happens only when the snapshot changed since the stored checkpoint and nobody wrote one in the
/// last interval, under the ETag it looked at, so instances do not fight over it.
/// </summary>
public sealed partial class SnapshotCheckpoints(ICheckpointStore store, IOptions<SnapshotOptions> options, TimeProvider time, ILogger<SnapshotCheckpoints> logger)
{
    private CheckpointOptions Options => options.Value.Checkpoint;

    /// <summary>Never throws for a bad or unreachable checkpoint: the caller reads the store in full instead.</summary>
    public async Task<CheckpointLoad> TryLoadAsync(string tenantId, CancellationToken cancellationToken)
    {
        StoredCheckpoint? stored;
        try
        {
            stored = await store.ReadAsync(tenantId, Options.MaxBytes, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or IOException or AggregateException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new CheckpointLoad(null, "the checkpoint could not be read: " + e.GetType().Name + ": " + FirstLine(e.Message), 0);
        }
        if (stored is null)
            return new CheckpointLoad(null, "there is no checkpoint", 0);
        if (stored.TooLarge)
            return new CheckpointLoad(null, $"the checkpoint is larger than {Options.MaxBytes} bytes (Snapshot:Checkpoint:MaxBytes)", 0);
        var checkpoint = CheckpointFormat.Read(stored.Content, Options.MaxBytes, out var problem);
        if (checkpoint is null)
            return new CheckpointLoad(null, "the checkpoint is unusable: " + problem, stored.Content.Length);
        if (checkpoint.TenantId != tenantId)
            return new CheckpointLoad(null, $"the checkpoint is of tenant '{checkpoint.TenantId}'", stored.Content.Length);
        var age = time.GetUtcNow() - checkpoint.WrittenAt;
        if (age > Options.MaxAge)
            return new CheckpointLoad(null, $"the checkpoint is {age.TotalSeconds:F0}s old, past Snapshot:Checkpoint:MaxAge ({Options.MaxAge.TotalSeconds:F0}s)", stored.Content.Length);
        // A clock far ahead at the writer would otherwise keep an old checkpoint "young".
        if (age < -Options.Interval)
            return new CheckpointLoad(null, $"the checkpoint is dated {checkpoint.WrittenAt:O}, in the future", stored.Content.Length);
        return new CheckpointLoad(checkpoint, null, stored.Content.Length);
    }

    /// <summary>
    /// Writes <paramref name="tenantId"/>'s checkpoint from these inputs unless the stored one holds the same fingerprint
    /// or is younger than <see cref="CheckpointOptions.Interval"/>. Throws when the checkpoint store fails.
    /// </summary>
    public async Task<CheckpointWrite> WriteIfChangedAsync(string tenantId, string cursor, long fingerprint, ImmutableDictionary<string, CheckpointDocument> documents, CancellationToken cancellationToken)
    {
        var head = await store.GetHeadAsync(tenantId, cancellationToken);
        if (head is not null && head.Fingerprint == fingerprint)
            return CheckpointWrite.Unchanged;
        var now = time.GetUtcNow();
        if (head is not null && now - head.WrittenAt < Options.Interval)
            return CheckpointWrite.Fresh;
        var content = CheckpointFormat.Write(new SnapshotCheckpoint(tenantId, cursor, fingerprint, now, documents));
        if (content.Length > Options.MaxBytes)
            throw new InvalidOperationException($"the checkpoint of tenant '{tenantId}' would be {content.Length} bytes, past Snapshot:Checkpoint:MaxBytes ({Options.MaxBytes})");
        if (!await store.TryWriteAsync(tenantId, content, new CheckpointHead(fingerprint, now), head?.ETag, cancellationToken))
        {
            LogLostRace(logger, tenantId);
            return CheckpointWrite.LostRace;
        }
        LogWritten(logger, tenantId, documents.Count, content.Length, fingerprint);
        return CheckpointWrite.Written;
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Wrote the snapshot checkpoint of tenant {TenantId}: {Documents} documents, {Bytes} bytes, version {Version:x16}")]
    private static partial void LogWritten(ILogger logger, string tenantId, int documents, int bytes, long version);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Debug, Message = "Another instance wrote the snapshot checkpoint of tenant {TenantId} first; leaving it")]
    private static partial void LogLostRace(ILogger logger, string tenantId);
}
