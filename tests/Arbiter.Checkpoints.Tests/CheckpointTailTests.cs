using System.Globalization;
using System.Text.Json;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Store;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The change-feed tail read ahead of a checkpoint load (<see cref="CheckpointTail"/>), over a scripted feed.</summary>
public sealed class CheckpointTailTests
{
    /// <summary>A feed holding <paramref name="changes"/> changes after cursor "0", served <paramref name="perBatch"/> at a time.</summary>
    private sealed class ScriptedFeed(int changes, int perBatch) : IChangeFeed
    {
        public int Reads { get; private set; }

        public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default) =>
            Task.FromResult(changes.ToString(CultureInfo.InvariantCulture));

        public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
        {
            Reads++;
            var from = int.Parse(cursor, CultureInfo.InvariantCulture);
            var take = Math.Min(Math.Min(perBatch, maxItems), changes - from);
            using var body = JsonDocument.Parse("{}");
            var batch = Enumerable.Range(from, take)
                .Select(i => new StoredDocument(tenantId, "user", $"u{i}", body.RootElement.Clone(), "e" + i, false, DateTimeOffset.UnixEpoch))
                .ToList();
            return Task.FromResult(new ChangeBatch(batch, (from + take).ToString(CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task PrefetchAsync_ShortTail_EndsWithTheEmptyBatchAtTheFeedsEnd()
    {
        var feed = new ScriptedFeed(changes: 25, perBatch: 10);

        var batches = await CheckpointTail.PrefetchAsync(feed, "t", "0", CancellationToken.None);

        Assert.Equal([10, 10, 5, 0], batches.Select(b => b.Changes.Count));
        Assert.Equal("25", batches[^1].Cursor);
    }

    [Fact]
    public async Task PrefetchAsync_TailLongerThanTheBound_StopsAtTheBound()
    {
        var feed = new ScriptedFeed(changes: 1_000, perBatch: 10);

        var batches = await CheckpointTail.PrefetchAsync(feed, "t", "0", CancellationToken.None);

        Assert.Equal(CheckpointTail.PrefetchedBatches, batches.Count);
        Assert.Equal(CheckpointTail.PrefetchedBatches, feed.Reads);
        Assert.All(batches, b => Assert.Equal(10, b.Changes.Count));
        Assert.Equal((10 * CheckpointTail.PrefetchedBatches).ToString(CultureInfo.InvariantCulture), batches[^1].Cursor);
    }

    [Fact]
    public async Task ObserveAsync_FailedRead_DoesNotThrow()
    {
        var failed = Task.FromException(new StoreException("the feed is down"));

        await CheckpointTail.ObserveAsync(failed);

        Assert.True(failed.IsFaulted);
    }
}
