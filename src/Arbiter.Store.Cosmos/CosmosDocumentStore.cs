using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// Documents in Cosmos DB (<see cref="CosmosContainers"/>: one container per kind group, partition key <c>/tenantId</c>;
/// item shape in <see cref="CosmosItems"/>). Every query is single-partition and names the tenant in its text.
/// Optimistic concurrency through the item ETag; deletes leave tombstones. The change feed is <see cref="CosmosChangeFeed"/>.
/// </summary>
public sealed class CosmosDocumentStore : IDocumentStore
{
    private const int GetManyChunk = 100;

    private readonly CosmosContainers _containers;
    private readonly CosmosStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly CosmosCalls _calls;

    public CosmosDocumentStore(CosmosContainers containers, IOptions<CosmosStoreOptions> options, TimeProvider time, ILogger<CosmosDocumentStore> logger)
    {
        _containers = containers;
        _options = options.Value;
        _time = time;
        _calls = new CosmosCalls(containers, logger);
    }

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        return _calls.RunAsync(async () =>
        {
            var found = await ReadItemAsync(tenantId, kind, id, cancellationToken);
            return found is null || (found.Deleted && !includeDeleted) ? null : found;
        }, cancellationToken);
    }

    public Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, "-");
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = CosmosCursor.DecodeContinuation(continuation);
        return _calls.RunAsync(async () =>
        {
            // TOP with a literal: an integer we produced, not caller text. Single partition, tenant named in the text.
            var query = new QueryDefinition(
                    $"SELECT TOP {limit + 1} * FROM c WHERE c.tenantId = @tenant AND c.kind = @kind AND c.docId > @after"
                    + (includeDeleted ? "" : " AND c.deleted = false")
                    + " ORDER BY c.docId")
                .WithParameter("@tenant", tenantId)
                .WithParameter("@kind", kind)
                .WithParameter("@after", after);
            var items = await QueryAsync(_containers.For(kind), tenantId, query, limit + 1, cancellationToken);
            string? next = null;
            if (items.Count > limit)
            {
                items.RemoveRange(limit, items.Count - limit);
                next = CosmosCursor.EncodeContinuation(items[^1].Id);
            }

            return new DocumentPage(items, next);
        }, cancellationToken);
    }

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        if (body.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The document body is required.", nameof(body));
        }

        return _calls.RunAsync(() => PutItemAsync(tenantId, kind, id, body, ifMatch, cancellationToken), cancellationToken);
    }

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return _calls.RunAsync(() => DeleteItemAsync(tenantId, kind, id, ifMatch, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, "-");
        foreach (var id in ids)
        {
            ArgumentException.ThrowIfNullOrEmpty(id);
        }

        var chunks = ids.Distinct(StringComparer.Ordinal).Chunk(GetManyChunk).ToList();
        return _calls.RunAsync(async () =>
        {
            var found = new ConcurrentDictionary<string, StoredDocument>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken }, async (chunk, ct) =>
            {
                // Single partition, tenant named in the text; the item ids as parameters (IN is served by the index).
                var names = new string[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    names[i] = "@id" + i.ToString(CultureInfo.InvariantCulture);
                }

                var query = new QueryDefinition(
                        $"SELECT * FROM c WHERE c.tenantId = @tenant AND c.id IN ({string.Join(", ", names)})"
                        + (includeDeleted ? "" : " AND c.deleted = false"))
                    .WithParameter("@tenant", tenantId);
                for (var i = 0; i < chunk.Length; i++)
                {
                    query = query.WithParameter(names[i], CosmosItems.ItemId(kind, chunk[i]));
                }

                foreach (var document in await QueryAsync(_containers.For(kind), tenantId, query, chunk.Length, ct))
                {
                    found[document.Id] = document;
                }
            });
            return (IReadOnlyDictionary<string, StoredDocument>)new Dictionary<string, StoredDocument>(found, StringComparer.Ordinal);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        foreach (var write in writes)
        {
            write.Validate();
        }

        // Per item, not a TransactionalBatch: there one refused write would fail them all. Writes to one document stay in
        // list order; different documents go in parallel.
        var perDocument = Enumerable.Range(0, writes.Count).GroupBy(i => (writes[i].Kind, writes[i].Id)).Select(g => g.ToArray()).ToList();
        return _calls.RunAsync(async () =>
        {
            var results = new DocumentWriteResult[writes.Count];
            await Parallel.ForEachAsync(perDocument, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelism, CancellationToken = cancellationToken }, async (indexes, ct) =>
            {
                foreach (var i in indexes)
                {
                    results[i] = await WriteItemAsync(tenantId, writes[i], ct);
                }
            });
            return (IReadOnlyList<DocumentWriteResult>)results;
        }, cancellationToken);
    }

    /// <summary>Creates the database and the containers when <see cref="CosmosStoreOptions.CreateIfNotExists"/> is on.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => _calls.EnsureReadyAsync(cancellationToken);

    /// <summary>One put, its outcomes as <see cref="PutAsync"/> documents them; the caller wraps it in <see cref="CosmosCalls.RunAsync"/>.</summary>
    private async Task<StoredDocument> PutItemAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken)
    {
        var container = _containers.For(kind);
        var partition = new PartitionKey(tenantId);
        if (ifMatch == "*")
        {
            using var upserted = await container.UpsertItemStreamAsync(Serialize(tenantId, kind, id, body, deleted: false), partition, cancellationToken: cancellationToken);
            return CosmosItems.ReadWritten(upserted, "upsert");
        }

        if (ifMatch is not null)
        {
            using var replaced = await container.ReplaceItemStreamAsync(
                Serialize(tenantId, kind, id, body, deleted: false), CosmosItems.ItemId(kind, id), partition, new ItemRequestOptions { IfMatchEtag = ifMatch }, cancellationToken);
            if (replaced.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }

            return CosmosItems.ReadWritten(replaced, "replace");
        }

        using (var created = await container.CreateItemStreamAsync(Serialize(tenantId, kind, id, body, deleted: false), partition, cancellationToken: cancellationToken))
        {
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                return CosmosItems.ReadWritten(created, "create");
            }
        }

        // The id is taken: only a tombstone may be overwritten, and only the tombstone we saw (a racing create wins once).
        var existing = await ReadItemAsync(tenantId, kind, id, cancellationToken);
        if (existing is not { Deleted: true })
        {
            throw new ConflictException($"A {kind} with id '{id}' already exists.");
        }

        using var revived = await container.ReplaceItemStreamAsync(
            Serialize(tenantId, kind, id, body, deleted: false), CosmosItems.ItemId(kind, id), partition, new ItemRequestOptions { IfMatchEtag = existing.ETag }, cancellationToken);
        if (revived.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new ConflictException($"A {kind} with id '{id}' was created concurrently.");
        }

        return CosmosItems.ReadWritten(revived, "replace");
    }

    /// <summary>One delete, its outcomes as <see cref="DeleteAsync"/> documents them; the caller wraps it in <see cref="CosmosCalls.RunAsync"/>.</summary>
    private async Task<StoredDocument> DeleteItemAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken)
    {
        var container = _containers.For(kind);
        // "*" retries when a concurrent write slips between the read and the conditional replace.
        for (var attempt = 0; ; attempt++)
        {
            var existing = await ReadItemAsync(tenantId, kind, id, cancellationToken);
            if (existing is null || existing.Deleted)
            {
                throw new NotFoundException($"No {kind} with id '{id}'.");
            }

            if (ifMatch != "*" && !string.Equals(existing.ETag, ifMatch, StringComparison.Ordinal))
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }

            // The tombstone keeps the last body so change consumers can tell what went away.
            using var replaced = await container.ReplaceItemStreamAsync(
                Serialize(tenantId, kind, id, existing.Body, deleted: true), CosmosItems.ItemId(kind, id), new PartitionKey(tenantId),
                new ItemRequestOptions { IfMatchEtag = existing.ETag }, cancellationToken);
            if (replaced.StatusCode is not (HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound))
            {
                return CosmosItems.ReadWritten(replaced, "delete");
            }

            if (ifMatch != "*" || attempt >= 5)
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }
        }
    }

    /// <summary>One write of a batch through the single-document code; a refusal becomes its result, anything else propagates.</summary>
    private async Task<DocumentWriteResult> WriteItemAsync(string tenantId, DocumentWrite write, CancellationToken cancellationToken)
    {
        try
        {
            return DocumentWriteResult.Written(write.Body is { } body
                ? await PutItemAsync(tenantId, write.Kind, write.Id, body, write.IfMatch, cancellationToken)
                : await DeleteItemAsync(tenantId, write.Kind, write.Id, write.IfMatch!, cancellationToken));
        }
        catch (PreconditionFailedException ex)
        {
            return DocumentWriteResult.Refused(DocumentWriteFailure.PreconditionFailed, ex.Message);
        }
        catch (ConflictException ex)
        {
            return DocumentWriteResult.Refused(DocumentWriteFailure.Conflict, ex.Message);
        }
        catch (NotFoundException ex)
        {
            return DocumentWriteResult.Refused(DocumentWriteFailure.NotFound, ex.Message);
        }
    }

    private async Task<StoredDocument?> ReadItemAsync(string tenantId, string kind, string id, CancellationToken cancellationToken)
    {
        var container = _containers.For(kind);
        if (_options.ReadMode == CosmosReadMode.Query)
        {
            var query = new QueryDefinition("SELECT * FROM c WHERE c.tenantId = @tenant AND c.id = @id")
                .WithParameter("@tenant", tenantId)
                .WithParameter("@id", CosmosItems.ItemId(kind, id));
            var found = await QueryAsync(container, tenantId, query, 1, cancellationToken);
            return found.Count == 0 ? null : found[0];
        }

        using var response = await container.ReadItemStreamAsync(CosmosItems.ItemId(kind, id), new PartitionKey(tenantId), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosCalls.EnsureSuccess(response, "read");
        return await CosmosItems.ParseItemAsync(response.Content, cancellationToken);
    }

    private static async Task<List<StoredDocument>> QueryAsync(Container container, string tenantId, QueryDefinition query, int max, CancellationToken cancellationToken)
    {
        var results = new List<StoredDocument>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(tenantId),
            MaxItemCount = Math.Min(max, 1000),
        });
        while (iterator.HasMoreResults && results.Count < max)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            CosmosCalls.EnsureSuccess(page, "query");
            results.AddRange(await CosmosItems.ParseDocumentsAsync(page.Content, cancellationToken));
        }

        return results;
    }

    private MemoryStream Serialize(string tenantId, string kind, string id, JsonElement body, bool deleted) =>
        CosmosItems.Serialize(tenantId, kind, id, body, deleted, _time.GetUtcNow());

    private static void CheckKey(string tenantId, string kind, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(id);
    }
}
