using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Graph.Tests;

/// <summary>
/// Delegates to a real store, except that just before the first batch write touching one document another writer
/// changes that document: the batch loses the race for it, as it would against an admin writing at the same moment.
/// </summary>
public sealed class RacingStore(IDocumentStore inner, string kind, string id, Func<JsonObject?, JsonObject> otherWriter) : IDocumentStore
{
    private int _races;

    /// <summary>How many times the other writer got in first (at most once).</summary>
    public int Races => _races;

    public async Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default)
    {
        if (writes.Any(w => w.Kind == kind && w.Id == id) && Interlocked.CompareExchange(ref _races, 1, 0) == 0)
        {
            var current = await inner.GetAsync(tenantId, kind, id, cancellationToken: cancellationToken);
            var body = otherWriter(current is null ? null : JsonNode.Parse(current.Body.GetRawText())!.AsObject());
            await inner.PutAsync(tenantId, kind, id, JsonSerializer.SerializeToElement(body), "*", cancellationToken);
        }

        return await inner.WriteManyAsync(tenantId, writes, cancellationToken);
    }

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        inner.GetAsync(tenantId, kind, id, includeDeleted, cancellationToken);

    public Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        inner.ListAsync(tenantId, kind, continuation, limit, includeDeleted, cancellationToken);

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default) =>
        inner.PutAsync(tenantId, kind, id, body, ifMatch, cancellationToken);

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(tenantId, kind, id, ifMatch, cancellationToken);

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        inner.GetManyAsync(tenantId, kind, ids, includeDeleted, cancellationToken);
}
