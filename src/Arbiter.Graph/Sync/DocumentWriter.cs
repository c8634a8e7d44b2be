using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Graph.Sync;

internal enum WriteOutcome { Unchanged, Written, Deleted }

/// <summary>
/// Read-modify-write of one document with its ETag, retried on a lost race, so fields other writers own
/// (an agent's <c>suspended</c>, admin tags) survive a sync. Unchanged documents are not rewritten: replays are free
/// and the change feed only sees real changes.
/// </summary>
internal sealed class DocumentWriter(IDocumentStore store)
{
    private const int MaxConflictRetries = 8;

    /// <summary>
    /// Applies <paramref name="mutate"/> to the live body (null when missing or tombstoned). It edits the object it is
    /// given (a copy) and returns it, or returns null to leave the document as it is.
    /// </summary>
    public async Task<WriteOutcome> UpdateAsync(string tenantId, string kind, string id, Func<JsonObject?, JsonObject?> mutate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var doc = await store.GetAsync(tenantId, kind, id, includeDeleted: true, cancellationToken);
            var live = doc is { Deleted: false } ? doc : null;
            var before = live is null ? null : JsonNode.Parse(live.Body.GetRawText()) as JsonObject;
            var after = mutate(before?.DeepClone().AsObject());
            if (after is null || (before is not null && JsonNode.DeepEquals(before, after)))
            {
                return WriteOutcome.Unchanged;
            }

            try
            {
                await store.PutAsync(tenantId, kind, id, ToElement(after), live?.ETag, cancellationToken);
                return WriteOutcome.Written;
            }
            catch (Exception ex) when (ex is PreconditionFailedException or ConflictException && attempt < MaxConflictRetries)
            {
                // Someone wrote in between: read again and re-apply on their version.
            }
        }
    }

    /// <summary>Tombstones a document if it is live; a missing or already deleted one is fine (replays).</summary>
    public async Task<WriteOutcome> DeleteAsync(string tenantId, string kind, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var doc = await store.GetAsync(tenantId, kind, id, includeDeleted: false, cancellationToken);
            if (doc is null)
            {
                return WriteOutcome.Unchanged;
            }

            try
            {
                await store.DeleteAsync(tenantId, kind, id, doc.ETag, cancellationToken);
                return WriteOutcome.Deleted;
            }
            catch (NotFoundException)
            {
                return WriteOutcome.Unchanged;
            }
            catch (PreconditionFailedException) when (attempt < MaxConflictRetries)
            {
            }
        }
    }

    /// <summary>Reads a body as a mutable object (null when missing or tombstoned).</summary>
    public async Task<JsonObject?> ReadAsync(string tenantId, string kind, string id, CancellationToken cancellationToken)
    {
        var doc = await store.GetAsync(tenantId, kind, id, includeDeleted: false, cancellationToken);
        return doc is null ? null : JsonNode.Parse(doc.Body.GetRawText()) as JsonObject;
    }

    /// <summary>Unconditional upsert of a document this library alone writes (sync state, status).</summary>
    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonObject body, CancellationToken cancellationToken) =>
        store.PutAsync(tenantId, kind, id, ToElement(body), "*", cancellationToken);

    /// <summary>Every live document of a kind, page by page.</summary>
    public async IAsyncEnumerable<StoredDocument> ListAsync(string tenantId, string kind, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await store.ListAsync(tenantId, kind, continuation, 1000, includeDeleted: false, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            continuation = page.Continuation;
        }
        while (!string.IsNullOrEmpty(continuation));
    }

    internal static JsonElement ToElement(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
