using System.Diagnostics;
using System.Text.Json;
using Arbiter.Store;

namespace Arbiter.Checkpoints.Bench;

/// <summary>The real store and change feed, counting read requests, the documents they returned and the time spent in them.</summary>
internal sealed class CountingStore(IDocumentStore store, IChangeFeed feed) : IDocumentStore, IChangeFeed
{
    public int Requests;
    public int Documents;
    public long Ticks;

    private T Count<T>(T result, int documents, long started)
    {
        Interlocked.Add(ref Ticks, Stopwatch.GetElapsedTime(started).Ticks);
        Interlocked.Increment(ref Requests);
        Interlocked.Add(ref Documents, documents);
        return result;
    }

    public async Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var t = Stopwatch.GetTimestamp();
        var d = await store.GetAsync(tenantId, kind, id, includeDeleted, cancellationToken);
        return Count(d, d is null ? 0 : 1, t);
    }

    public async Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var t = Stopwatch.GetTimestamp();
        var page = await store.ListAsync(tenantId, kind, continuation, limit, includeDeleted, cancellationToken);
        return Count(page, page.Items.Count, t);
    }

    public async Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var t = Stopwatch.GetTimestamp();
        var found = await store.GetManyAsync(tenantId, kind, ids, includeDeleted, cancellationToken);
        return Count(found, found.Count, t);
    }

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default) =>
        store.PutAsync(tenantId, kind, id, body, ifMatch, cancellationToken);

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(tenantId, kind, id, ifMatch, cancellationToken);

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default) =>
        store.WriteManyAsync(tenantId, writes, cancellationToken);

    public async Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var t = Stopwatch.GetTimestamp();
        return Count(await feed.GetCurrentCursorAsync(tenantId, cancellationToken), 0, t);
    }

    public async Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
    {
        var t = Stopwatch.GetTimestamp();
        var batch = await feed.ReadAsync(tenantId, cursor, maxItems, cancellationToken);
        return Count(batch, batch.Changes.Count, t);
    }
}
