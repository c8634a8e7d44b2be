using Arbiter.Store;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The real change feed, signalling <paramref name="cursorTaken"/> once a current cursor was asked for.</summary>
public sealed class SignallingFeed(IChangeFeed feed, TaskCompletionSource cursorTaken) : IChangeFeed
{
    public async Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var cursor = await feed.GetCurrentCursorAsync(tenantId, cancellationToken);
        cursorTaken.TrySetResult();
        return cursor;
    }

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default) =>
        feed.ReadAsync(tenantId, cursor, maxItems, cancellationToken);
}
