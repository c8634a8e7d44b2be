using Arbiter.Store;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The real change feed, read one change per batch: a short tail then takes as many batches as it has changes.</summary>
public sealed class OneChangePerBatchFeed(IChangeFeed feed) : IChangeFeed
{
    public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default) =>
        feed.GetCurrentCursorAsync(tenantId, cancellationToken);

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default) =>
        feed.ReadAsync(tenantId, cursor, 1, cancellationToken);
}
