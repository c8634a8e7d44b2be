using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// Documents in Cosmos DB, one container per kind group (policies, directory, governance), partition key <c>/tenantId</c>.
/// Item: <c>{ id: "{kind}:{docId}", tenantId, kind, docId, body, deleted, updatedAt }</c>. Every query is single-partition
/// and names the tenant in its text. Optimistic concurrency through the item ETag; deletes leave tombstones.
/// </summary>
public sealed partial class CosmosDocumentStore : IDocumentStore, IChangeFeed
{
    private const int GetManyChunk = 100;

    private readonly CosmosClient _client;
    private readonly CosmosStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CosmosDocumentStore> _logger;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly Container _policies;
    private readonly Container _directory;
    private readonly Container _governance;
    private readonly Container[] _feedContainers;
    // Bounded fan-out of batch reads and writes; the local test server is one Node process.
    private readonly int _parallelism;
    private volatile bool _initialized;
    private int _feedMode; // 0 = undecided, 1 = SDK change feed, 2 = polling; read and written through Volatile

    public CosmosDocumentStore(CosmosClient client, IOptions<CosmosStoreOptions> options, TimeProvider time, ILogger<CosmosDocumentStore> logger)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _policies = client.GetContainer(_options.Database, _options.PoliciesContainer);
        _directory = client.GetContainer(_options.Database, _options.DirectoryContainer);
        _governance = client.GetContainer(_options.Database, _options.GovernanceContainer);
        _feedContainers = [_policies, _directory, _governance];
        _parallelism = _options.IsLoopback ? 4 : 16;
        _feedMode = _options.ChangeFeedMode switch
        {
            CosmosChangeFeedMode.ChangeFeed => 1,
            CosmosChangeFeedMode.Polling => 2,
            _ => _options.IsLoopback ? 0 : 1,
        };
    }

    /// <summary>Which change feed implementation is in use (decided at first use in <see cref="CosmosChangeFeedMode.Auto"/>).</summary>
    public CosmosChangeFeedMode ActiveChangeFeedMode => Volatile.Read(ref _feedMode) switch
    {
        1 => CosmosChangeFeedMode.ChangeFeed,
        2 => CosmosChangeFeedMode.Polling,
        _ => CosmosChangeFeedMode.Auto,
    };

    /// <summary>The container a kind lives in: policies, directory, or governance (which also takes kinds not listed in <see cref="DocumentKinds"/>).</summary>
    public Container ContainerFor(string kind) =>
        DocumentKinds.Policies.Contains(kind) ? _policies
        : DocumentKinds.Directory.Contains(kind) ? _directory
        : _governance;

    /// <summary>The Cosmos item id of a document: <c>{kind}:{id}</c>, with the characters Cosmos forbids in ids escaped.</summary>
    public static string ItemId(string kind, string id)
    {
        var escaped = new StringBuilder(kind.Length + id.Length + 1).Append(kind).Append(':');
        foreach (var c in id)
        {
            _ = c switch
            {
                '%' => escaped.Append("%25"),
                '/' => escaped.Append("%2F"),
                '\\' => escaped.Append("%5C"),
                '?' => escaped.Append("%3F"),
                '#' => escaped.Append("%23"),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        return RunAsync(async () =>
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
        return RunAsync(async () =>
        {
            // TOP with a literal: an integer we produced, not caller text. Single partition, tenant named in the text.
            var query = new QueryDefinition(
                    $"SELECT TOP {limit + 1} * FROM c WHERE c.tenantId = @tenant AND c.kind = @kind AND c.docId > @after"
                    + (includeDeleted ? "" : " AND c.deleted = false")
                    + " ORDER BY c.docId")
                .WithParameter("@tenant", tenantId)
                .WithParameter("@kind", kind)
                .WithParameter("@after", after);
            var items = await QueryAsync(ContainerFor(kind), tenantId, query, limit + 1, cancellationToken);
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

        return RunAsync(() => PutItemAsync(tenantId, kind, id, body, ifMatch, cancellationToken), cancellationToken);
    }

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return RunAsync(() => DeleteItemAsync(tenantId, kind, id, ifMatch, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, "-");
        foreach (var id in ids)
        {
            ArgumentException.ThrowIfNullOrEmpty(id);
        }

        var chunks = ids.Distinct(StringComparer.Ordinal).Chunk(GetManyChunk).ToList();
        return RunAsync(async () =>
        {
            var found = new ConcurrentDictionary<string, StoredDocument>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (chunk, ct) =>
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
                    query = query.WithParameter(names[i], ItemId(kind, chunk[i]));
                }

                foreach (var document in await QueryAsync(ContainerFor(kind), tenantId, query, chunk.Length, ct))
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
        return RunAsync(async () =>
        {
            var results = new DocumentWriteResult[writes.Count];
            await Parallel.ForEachAsync(perDocument, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (indexes, ct) =>
            {
                foreach (var i in indexes)
                {
                    results[i] = await WriteItemAsync(tenantId, writes[i], ct);
                }
            });
            return (IReadOnlyList<DocumentWriteResult>)results;
        }, cancellationToken);
    }

    public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return RunAsync(async () => await ResolveFeedModeAsync(cancellationToken) == 1
            ? CosmosCursor.Encode(await FeedNowAsync(tenantId, cancellationToken))
            : CosmosCursor.Encode(await PollNowAsync(tenantId, cancellationToken)), cancellationToken);
    }

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var decoded = CosmosCursor.Decode(cursor);
        return RunAsync(async () =>
        {
            var (changes, next) = decoded.Mode == CosmosCursor.FeedMode
                ? await FeedReadAsync(decoded, maxItems, cancellationToken)
                : await PollReadAsync(tenantId, decoded, maxItems, cancellationToken);
            return new ChangeBatch(DedupeKeepLast(changes), CosmosCursor.Encode(next));
        }, cancellationToken);
    }

    /// <summary>Creates the database and the four containers when <see cref="CosmosStoreOptions.CreateIfNotExists"/> is on.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => RunAsync(() => Task.FromResult(0), cancellationToken);

    /// <summary>One put, its outcomes as <see cref="PutAsync"/> documents them; the caller wraps it in <see cref="RunAsync"/>.</summary>
    private async Task<StoredDocument> PutItemAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken)
    {
        var container = ContainerFor(kind);
        var partition = new PartitionKey(tenantId);
        if (ifMatch == "*")
        {
            using var upserted = await container.UpsertItemStreamAsync(Serialize(tenantId, kind, id, body, deleted: false), partition, cancellationToken: cancellationToken);
            return ReadWritten(upserted, "upsert");
        }

        if (ifMatch is not null)
        {
            using var replaced = await container.ReplaceItemStreamAsync(
                Serialize(tenantId, kind, id, body, deleted: false), ItemId(kind, id), partition, new ItemRequestOptions { IfMatchEtag = ifMatch }, cancellationToken);
            if (replaced.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }

            return ReadWritten(replaced, "replace");
        }

        using (var created = await container.CreateItemStreamAsync(Serialize(tenantId, kind, id, body, deleted: false), partition, cancellationToken: cancellationToken))
        {
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                return ReadWritten(created, "create");
            }
        }

        // The id is taken: only a tombstone may be overwritten, and only the tombstone we saw (a racing create wins once).
        var existing = await ReadItemAsync(tenantId, kind, id, cancellationToken);
        if (existing is not { Deleted: true })
        {
            throw new ConflictException($"A {kind} with id '{id}' already exists.");
        }

        using var revived = await container.ReplaceItemStreamAsync(
            Serialize(tenantId, kind, id, body, deleted: false), ItemId(kind, id), partition, new ItemRequestOptions { IfMatchEtag = existing.ETag }, cancellationToken);
        if (revived.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new ConflictException($"A {kind} with id '{id}' was created concurrently.");
        }

        return ReadWritten(revived, "replace");
    }

    /// <summary>One delete, its outcomes as <see cref="DeleteAsync"/> documents them; the caller wraps it in <see cref="RunAsync"/>.</summary>
    private async Task<StoredDocument> DeleteItemAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken)
    {
        var container = ContainerFor(kind);
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
                Serialize(tenantId, kind, id, existing.Body, deleted: true), ItemId(kind, id), new PartitionKey(tenantId),
                new ItemRequestOptions { IfMatchEtag = existing.ETag }, cancellationToken);
            if (replaced.StatusCode is not (HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound))
            {
                return ReadWritten(replaced, "delete");
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
        var container = ContainerFor(kind);
        if (_options.IsLoopback)
        {
            // Local endpoints read by a single-partition query on the id: the local test server answers a point read of a
            // missing item with 500 (not 404), and the SDK spends seconds retrying that 500 before it returns.
            var query = new QueryDefinition("SELECT * FROM c WHERE c.tenantId = @tenant AND c.id = @id")
                .WithParameter("@tenant", tenantId)
                .WithParameter("@id", ItemId(kind, id));
            var found = await QueryAsync(container, tenantId, query, 1, cancellationToken);
            return found.Count == 0 ? null : found[0];
        }

        using var response = await container.ReadItemStreamAsync(ItemId(kind, id), new PartitionKey(tenantId), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "read");
        return await ParseItemAsync(response.Content, cancellationToken);
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
            EnsureSuccess(page, "query");
            results.AddRange(await ParseDocumentsAsync(page.Content, cancellationToken));
        }

        return results;
    }

    private static StoredDocument ReadWritten(ResponseMessage response, string operation)
    {
        EnsureSuccess(response, operation);
        using var document = JsonDocument.Parse(response.Content);
        return ToStored(document.RootElement);
    }

    private static void EnsureSuccess(ResponseMessage response, string operation)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new StoreUnavailableException($"Cosmos DB {operation} failed with status {(int)response.StatusCode} ({response.StatusCode}).");
        }
    }

    private static async Task<StoredDocument?> ParseItemAsync(Stream content, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        return ToStored(document.RootElement);
    }

    private static async Task<List<StoredDocument>> ParseDocumentsAsync(Stream content, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        return [.. document.RootElement.GetProperty("Documents").EnumerateArray().Select(ToStored)];
    }

    private static StoredDocument ToStored(JsonElement item) => new(
        item.GetProperty("tenantId").GetString()!,
        item.GetProperty("kind").GetString()!,
        item.GetProperty("docId").GetString()!,
        item.GetProperty("body").Clone(),
        item.GetProperty("_etag").GetString()!,
        item.GetProperty("deleted").GetBoolean(),
        item.GetProperty("updatedAt").GetDateTimeOffset());

    private MemoryStream Serialize(string tenantId, string kind, string id, JsonElement body, bool deleted)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", ItemId(kind, id));
            writer.WriteString("tenantId", tenantId);
            writer.WriteString("kind", kind);
            writer.WriteString("docId", id);
            writer.WritePropertyName("body");
            body.WriteTo(writer);
            writer.WriteBoolean("deleted", deleted);
            writer.WriteString("updatedAt", _time.GetUtcNow().ToUniversalTime());
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    private static List<StoredDocument> DedupeKeepLast(List<StoredDocument> changes)
    {
        var last = new Dictionary<(string Kind, string Id), int>();
        for (var i = 0; i < changes.Count; i++)
        {
            last[(changes[i].Kind, changes[i].Id)] = i;
        }

        return [.. changes.Where((d, i) => last[(d.Kind, d.Id)] == i)];
    }

    private async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await EnsureInitializedAsync(cancellationToken);
            return await work();
        }
        catch (StoreException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is CosmosException or HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            // Timeouts, unreachable endpoint, throttling past the SDK's retries, malformed answers: the caller fails closed.
            LogUnavailable(_logger, ex.GetType().Name, ex);
            throw new StoreUnavailableException("Cosmos DB could not complete the operation.", ex);
        }
    }

    private async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            if (_options.CreateIfNotExists)
            {
                var database = (await _client.CreateDatabaseIfNotExistsAsync(_options.Database, cancellationToken: cancellationToken)).Database;
                foreach (var name in new[] { _options.PoliciesContainer, _options.DirectoryContainer, _options.GovernanceContainer })
                {
                    await database.CreateContainerIfNotExistsAsync(new ContainerProperties(name, "/tenantId"), cancellationToken: cancellationToken);
                }

                // The decision log spreads each tenant over hourly buckets (see CosmosDecisionLogSink); TTL on, per item.
                await database.CreateContainerIfNotExistsAsync(
                    new ContainerProperties(_options.DecisionsContainer, DecisionLog.CosmosDecisionLogSink.PartitionKeyPath) { DefaultTimeToLive = -1 },
                    cancellationToken: cancellationToken);

                LogContainersReady(_logger, _options.Database);
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private static void CheckKey(string tenantId, string kind, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(id);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Cosmos DB store operation failed ({ErrorType}); reporting the store unavailable")]
    private static partial void LogUnavailable(ILogger logger, string errorType, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Cosmos DB database {Database} and containers ensured")]
    private static partial void LogContainersReady(ILogger logger, string database);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Cosmos DB change feed mode: {Mode} ({Reason})")]
    private static partial void LogFeedMode(ILogger logger, CosmosChangeFeedMode mode, string reason);
}
