using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Read-modify-write of documents with their ETags, retried on a lost race, so fields other writers own
/// (an agent's <c>suspended</c>, admin tags) survive a sync. Unchanged documents are not rewritten: replays are free
/// and the change feed only sees real changes.
/// </summary>
internal sealed class DocumentWriter(IDocumentStore store)
{
    private const int MaxConflictRetries = 8;

    // Writes per store batch: one SQLite transaction (one commit) or one bounded Cosmos fan-out. A Graph page is at most
    // 999 entries, so a page is normally one batch; larger lists (sweeps) are cut so no transaction holds the lock long.
    private const int BatchSize = 1000;

    /// <summary>
    /// Applies many changes to documents of one kind, batch by batch: one read of the batch's documents, the mutations
    /// applied, one batched write with the ETags read (unchanged documents skipped); the writes that lost a race to
    /// another writer go through the per-document loop (<see cref="UpdateAsync"/> / <see cref="DeleteAsync"/>) again.
    /// Returns the outcome of each change, by position. Mutations may run more than once and must depend only on the body.
    /// </summary>
    public async Task<WriteOutcome[]> ApplyAsync(string tenantId, string kind, IReadOnlyList<DocumentChange> changes, CancellationToken cancellationToken)
    {
        var outcomes = new WriteOutcome[changes.Count];
        for (var start = 0; start < changes.Count; start += BatchSize)
        {
            await ApplyBatchAsync(tenantId, kind, changes, start, Math.Min(BatchSize, changes.Count - start), outcomes, cancellationToken);
        }

        return outcomes;
    }

    private async Task ApplyBatchAsync(string tenantId, string kind, IReadOnlyList<DocumentChange> changes, int start, int count, WriteOutcome[] outcomes, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = start; i < start + count; i++)
        {
            ids.Add(changes[i].Id);
        }

        var current = await store.GetManyAsync(tenantId, kind, ids, includeDeleted: true, cancellationToken);
        var writes = new List<DocumentWrite>(count);
        var positions = new List<int>(count);
        for (var i = start; i < start + count; i++)
        {
            var change = changes[i];
            var live = current.TryGetValue(change.Id, out var doc) && !doc.Deleted ? doc : null;
            if (change.IsDelete)
            {
                if (live is null)
                {
                    outcomes[i] = WriteOutcome.Unchanged;
                    continue;
                }

                writes.Add(DocumentWrite.Delete(kind, change.Id, live.ETag));
            }
            else
            {
                if (Mutated(live, change.Mutate!) is not { } after)
                {
                    outcomes[i] = WriteOutcome.Unchanged;
                    continue;
                }

                writes.Add(DocumentWrite.Put(kind, change.Id, ToElement(after), live?.ETag));
            }

            positions.Add(i);
        }

        if (writes.Count == 0)
        {
            return;
        }

        var results = await store.WriteManyAsync(tenantId, writes, cancellationToken);
        var lostRaces = new List<int>();
        for (var w = 0; w < results.Count; w++)
        {
            var position = positions[w];
            switch (results[w].Failure)
            {
                case DocumentWriteFailure.None:
                    outcomes[position] = changes[position].IsDelete ? WriteOutcome.Deleted : WriteOutcome.Written;
                    break;
                case DocumentWriteFailure.NotFound:
                    // Deleted by someone else in between: what we wanted.
                    outcomes[position] = WriteOutcome.Unchanged;
                    break;
                default:
                    lostRaces.Add(position);
                    break;
            }
        }

        // Someone wrote in between (or the same id came twice in the batch): read again and re-apply on their version.
        foreach (var position in lostRaces)
        {
            var change = changes[position];
            outcomes[position] = change.IsDelete
                ? await DeleteAsync(tenantId, kind, change.Id, cancellationToken)
                : await UpdateAsync(tenantId, kind, change.Id, change.Mutate!, cancellationToken);
        }
    }

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
            if (Mutated(live, mutate) is not { } after)
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
    public IAsyncEnumerable<StoredDocument> ListAsync(string tenantId, string kind, CancellationToken cancellationToken) =>
        store.ListAllAsync(tenantId, kind, pageSize: 1000, cancellationToken);

    /// <summary>The body after <paramref name="mutate"/>, or null when it leaves the live document as it is.</summary>
    private static JsonObject? Mutated(StoredDocument? live, Func<JsonObject?, JsonObject?> mutate)
    {
        var before = live is null ? null : JsonNode.Parse(live.Body.GetRawText()) as JsonObject;
        var after = mutate(before?.DeepClone().AsObject());
        return after is null || (before is not null && JsonNode.DeepEquals(before, after)) ? null : after;
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
