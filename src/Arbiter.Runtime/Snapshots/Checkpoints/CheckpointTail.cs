using Arbiter.Store;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// The change-feed tail after a checkpoint's cursor, read ahead: a cold load starts it before parsing and compiling the
/// checkpoint, so the store's round trips overlap that work instead of following it. At most
/// <see cref="PrefetchedBatches"/> batches are held; the load reads the rest (if any) after them, one batch at a time.
/// </summary>
public static class CheckpointTail
{
    /// <summary>Changes per change-feed read (the refresher's batch as well).</summary>
    public const int BatchSize = 1000;

    /// <summary>Batches read ahead: a tail of up to this many thousand changes is in memory before it is applied, no more.</summary>
    public const int PrefetchedBatches = 8;

    /// <summary>
    /// The batches after <paramref name="cursor"/>, in order, up to and including the first empty one (caught up) or
    /// <see cref="PrefetchedBatches"/> of them. Started on the thread pool so the caller's thread goes on at once.
    /// </summary>
    public static Task<IReadOnlyList<ChangeBatch>> PrefetchAsync(IChangeFeed changes, string tenantId, string cursor, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            var batches = new List<ChangeBatch>();
            while (batches.Count < PrefetchedBatches)
            {
                var batch = await changes.ReadAsync(tenantId, cursor, BatchSize, cancellationToken);
                batches.Add(batch);
                if (batch.Changes.Count == 0)
                    break;
                cursor = batch.Cursor;
            }
            return (IReadOnlyList<ChangeBatch>)batches;
        }, cancellationToken);

    /// <summary>Waits for a read-ahead whose result is no longer wanted, so that its failure is observed, not thrown.</summary>
    public static async Task ObserveAsync(Task? read)
    {
        if (read is null)
            return;
        try
        {
            await read;
        }
        catch (Exception)
        {
            // Abandoned: the load already took another way (a full read, or another anchor) and says why.
        }
    }
}
