using System.Text.Json;
using Arbiter.Store;

namespace Arbiter.Checkpoints.Tests;

/// <summary>
/// Passes every call to the real store and change feed, counting the read requests and the documents they returned
/// (writes are not counted: the figures are what a cold load costs).
/// </summary>
public sealed class CountingStore(IDocumentStore store, IChangeFeed feed) : IDocumentStore, IChangeFeed
{
    private int _requests;
    private int _documents;
    private int _gets;

    public int Requests => Volatile.Read(ref _requests);

    public int Documents => Volatile.Read(ref _documents);

    /// <summary>Point reads (<see cref="GetAsync"/>) among the requests.</summary>
    public int Gets => Volatile.Read(ref _gets);

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _documents, 0);
        Interlocked.Exchange(ref _gets, 0);
    }

    private T Count<T>(T result, int documents)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _documents, documents);
        return result;
    }

    public async Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var document = await store.GetAsync(tenantId, kind, id, includeDeleted, cancellationToken);
        Interlocked.Increment(ref _gets);
        return Count(document, document is null ? 0 : 1);
    }

    public async Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var page = await store.ListAsync(tenantId, kind, continuation, limit, includeDeleted, cancellationToken);
        return Count(page, page.Items.Count);
    }

    public async Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        var found = await store.GetManyAsync(tenantId, kind, ids, includeDeleted, cancellationToken);
        return Count(found, found.Count);
    }

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default) =>
        store.PutAsync(tenantId, kind, id, body, ifMatch, cancellationToken);

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(tenantId, kind, id, ifMatch, cancellationToken);

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default) =>
        store.WriteManyAsync(tenantId, writes, cancellationToken);

    public async Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default) =>
        Count(await feed.GetCurrentCursorAsync(tenantId, cancellationToken), 0);

    public async Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
    {
        var batch = await feed.ReadAsync(tenantId, cursor, maxItems, cancellationToken);
        return Count(batch, batch.Changes.Count);
    }
}
