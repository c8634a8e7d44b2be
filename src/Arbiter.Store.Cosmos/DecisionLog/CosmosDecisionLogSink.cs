using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Arbiter.DecisionLog;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos.DecisionLog;

/// <summary>
/// The decision log in the Cosmos DB decisions container (<c>Cosmos:DecisionsContainer</c>), partition key path
/// <see cref="PartitionKeyPath"/>. Item:
/// <c>{ id: decisionId, pk: "{tenant}:{yyyyMMddHH}:{bucket}", tenantId, sk: "{utcTicks:D19}:{id}", agentId, subjectType,
/// subjectId, action, resourceType, resourceId, allowed, ttl, record: {...} }</c>.
/// <para>Why not <c>/tenantId</c> like the other containers: every decision of a tenant would land in one logical
/// partition — a hot partition at high rates and a hard 20 GB ceiling. With <c>pk</c> a tenant's writes spread over
/// <c>DecisionLog:Buckets</c> partitions per hour. Tenant isolation holds: <c>pk</c> starts with the tenant, and every
/// query names the tenant in its text (<c>c.tenantId = @tenant</c>) besides querying only that tenant's partition keys.</para>
/// <para>Queries walk the requested range newest first in windows of whole hours (one hour, doubling up to a day while
/// windows come back empty). Each partition key of a window gets its own single-partition query (<c>c.pk = @pk</c>,
/// <c>TOP</c> what the page still needs, ordered by <c>sk</c>: time then id, one range-indexed string, no composite index
/// needed); the results are merged by <c>sk</c> descending, and pages are keyset on <c>sk</c>. No cross-partition
/// <c>ORDER BY</c>: the SDK rewrites one into a fully parenthesised filter whose parse time grows exponentially with the
/// number of conditions on the local test server (five levels already take longer than any test waits).</para>
/// <para>Retention: each item carries <c>ttl</c> = <c>DecisionLog:RetentionDays</c>; the service deletes expired items
/// (the container has <c>defaultTtl</c> set by Bicep). The local test server ignores TTL, so retention is not testable
/// against it. Writes are idempotent upserts by id in the record's partition (no TransactionalBatch: a batch spans
/// partitions, and the local server has none).</para>
/// </summary>
public sealed partial class CosmosDecisionLogSink : IDecisionLogSink
{
    public const string PartitionKeyPath = "/pk";
    private const int MaxHoursPerWindow = 24;

    private readonly Container _container;
    private readonly CosmosCalls _calls;
    private readonly DecisionLogOptions _options;
    private readonly ILogger<CosmosDecisionLogSink> _logger;
    // Upserts and partition queries in flight (Cosmos:MaxParallelism, one setting for every endpoint).
    private readonly int _parallelism;

    public CosmosDecisionLogSink(CosmosContainers containers, IOptions<CosmosStoreOptions> cosmos, IOptions<DecisionLogOptions> options, ILogger<CosmosDecisionLogSink> logger)
    {
        _container = containers.Decisions;
        _calls = new CosmosCalls(containers, logger);
        _options = options.Value;
        _logger = logger;
        _parallelism = cosmos.Value.MaxParallelism;
    }

    public async Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        // The store creates the database and containers (decisions included) when Cosmos:CreateIfNotExists is on.
        await _calls.EnsureReadyAsync(cancellationToken);
        var ttl = _options.RetentionDays * 86400;
        var failures = 0;
        HttpStatusCode? lastStatus = null;
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (record, ct) =>
        {
            var pk = DecisionLogPartitions.Key(record.TenantId, record.Time, record.Id, _options.Buckets);
            try
            {
                using var response = await _container.UpsertItemStreamAsync(Serialize(record, pk, ttl), new PartitionKey(pk), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                    lastStatus = response.StatusCode;
                }
            }
            catch (Exception ex) when (ex is CosmosException or HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                Interlocked.Increment(ref failures);
                lastStatus = (ex as CosmosException)?.StatusCode;
            }
        });

        if (failures > 0)
        {
            // The whole batch is retried; the records already stored are upserted again unchanged.
            LogWriteFailed(_logger, failures, records.Count, lastStatus?.ToString() ?? "no response");
            throw new StoreUnavailableException($"Cosmos DB did not store {failures} of {records.Count} decision records (last status {lastStatus}).");
        }
    }

    public async Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        await _calls.EnsureReadyAsync(cancellationToken);
        var upper = after is null ? SortKey(query.To.UtcTicks) : SortKey(after.TimeTicks, after.Id);
        var lowerSk = SortKey(query.From.UtcTicks);
        var newest = after is null ? query.To : after.Time.AddTicks(1);
        if (newest > query.To)
        {
            newest = query.To;
        }

        var items = new List<DecisionRecord>(Math.Min(pageSize + 1, 1024));
        var hours = DecisionLogPartitions.HoursNewestFirst(query.From, newest).ToList();
        try
        {
            // Windows of whole hours, newest first: every decision of an hour sorts after every decision of the hours
            // before it, so a window's newest items, appended in order, continue the page. A window starts at one hour
            // and doubles (up to a day) while the windows before it found nothing: dense logs stop after an hour, sparse
            // ones query more hours' partitions side by side.
            var windowHours = 1;
            for (var h = 0; h < hours.Count && items.Count <= pageSize;)
            {
                var window = hours.GetRange(h, Math.Min(windowHours, hours.Count - h));
                h += window.Count;
                var needed = pageSize + 1 - items.Count;
                var found = await QueryWindowAsync(tenantId, query, window, lowerSk, upper, needed, cancellationToken);
                items.AddRange(found);
                windowHours = found.Count == 0 ? Math.Min(windowHours * 2, MaxHoursPerWindow) : 1;
            }
        }
        catch (CosmosException ex)
        {
            LogQueryFailed(_logger, ex.StatusCode.ToString(), ex);
            throw new StoreUnavailableException("Cosmos DB could not run the decision log query.", ex);
        }

        string? next = null;
        if (items.Count > pageSize)
        {
            items.RemoveRange(pageSize, items.Count - pageSize);
            next = DecisionLogCursor.After(items[^1]).Encode();
        }

        return new DecisionLogPage(items, next);
    }

    /// <summary>
    /// The newest <paramref name="take"/> matches in the given hours: one single-partition query per partition key (each
    /// returns its own newest <paramref name="take"/>, which together hold the window's), merged by <c>sk</c> descending.
    /// </summary>
    private async Task<List<DecisionRecord>> QueryWindowAsync(string tenantId, DecisionLogQuery query, IReadOnlyList<DateTimeOffset> hours, string lower, string upper, int take, CancellationToken cancellationToken)
    {
        var keys = DecisionLogPartitions.KeysFor(tenantId, hours, _options.Buckets).ToArray();
        var found = new List<(string Sk, DecisionRecord Record)>[keys.Length];
        await Parallel.ForAsync(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            found[i] = await QueryPartitionAsync(tenantId, query, keys[i], lower, upper, take, ct));

        var merged = found.SelectMany(f => f).ToList();
        merged.Sort((a, b) => string.CompareOrdinal(b.Sk, a.Sk));
        return [.. merged.Take(take).Select(f => f.Record)];
    }

    private async Task<List<(string Sk, DecisionRecord Record)>> QueryPartitionAsync(string tenantId, DecisionLogQuery query, string key, string lower, string upper, int take, CancellationToken cancellationToken)
    {
        var items = new List<(string, DecisionRecord)>();
        using var iterator = _container.GetItemQueryStreamIterator(BuildQuery(tenantId, query, key, lower, upper, take), requestOptions: new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(key),
            MaxItemCount = Math.Min(take, 1000),
        });
        while (iterator.HasMoreResults && items.Count < take)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            if (!page.IsSuccessStatusCode)
            {
                throw new StoreUnavailableException($"Cosmos DB decision log query failed with status {(int)page.StatusCode} ({page.StatusCode}).");
            }

            using var document = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            foreach (var item in document.RootElement.GetProperty("Documents").EnumerateArray())
            {
                items.Add((item.GetProperty("sk").GetString()!, item.GetProperty("record").Deserialize(DecisionLogJsonContext.Default.DecisionRecord)!));
            }
        }

        return items;
    }

    /// <summary>Time then id as one sortable string: fixed-width UTC ticks, so string order is time order.</summary>
    public static string SortKey(long utcTicks, string? id = null) =>
        id is null ? utcTicks.ToString("D19", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{utcTicks:D19}:{id}");

    private static QueryDefinition BuildQuery(string tenantId, DecisionLogQuery query, string key, string lower, string upper, int take)
    {
        // TOP is an integer we produce, never caller text. A flat AND chain: the query runs in one partition, so the
        // SDK sends it as written.
        var sql = new StringBuilder("SELECT TOP ").Append(take.ToString(CultureInfo.InvariantCulture))
            .Append(" c.sk, c.record FROM c WHERE c.tenantId = @tenant AND c.pk = @pk");
        sql.Append(" AND c.sk >= @lower AND c.sk < @upper");
        var parameters = new List<(string, object)> { ("@tenant", tenantId), ("@pk", key), ("@lower", lower), ("@upper", upper) };
        Filter(sql, parameters, "id", query.DecisionId);
        Filter(sql, parameters, "agentId", query.AgentId);
        Filter(sql, parameters, "subjectId", query.SubjectId);
        Filter(sql, parameters, "subjectType", query.SubjectType);
        Filter(sql, parameters, "resourceId", query.ResourceId);
        Filter(sql, parameters, "resourceType", query.ResourceType);
        Filter(sql, parameters, "action", query.Action);
        if (query.Allowed is { } allowed)
        {
            sql.Append(" AND c.allowed = @allowed");
            parameters.Add(("@allowed", allowed));
        }

        sql.Append(" ORDER BY c.sk DESC");
        var definition = new QueryDefinition(sql.ToString());
        foreach (var (name, value) in parameters)
        {
            definition.WithParameter(name, value);
        }

        return definition;
    }

    private static void Filter(StringBuilder sql, List<(string, object)> parameters, string field, string? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND c.").Append(field).Append(" = @").Append(field);
        parameters.Add(("@" + field, value));
    }

    private static MemoryStream Serialize(DecisionRecord record, string pk, int ttl)
    {
        var stream = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", CosmosItems.ItemId("decision", record.Id)["decision:".Length..]);
            writer.WriteString("pk", pk);
            writer.WriteString("tenantId", record.TenantId);
            writer.WriteString("sk", SortKey(record.Time.UtcTicks, record.Id));
            if (record.AgentId is not null)
            {
                writer.WriteString("agentId", record.AgentId);
            }

            writer.WriteString("subjectType", record.SubjectType);
            writer.WriteString("subjectId", record.SubjectId);
            writer.WriteString("action", record.Action);
            writer.WriteString("resourceType", record.ResourceType);
            writer.WriteString("resourceId", record.ResourceId);
            writer.WriteBoolean("allowed", record.Allowed);
            writer.WriteNumber("ttl", ttl);
            writer.WritePropertyName("record");
            JsonSerializer.Serialize(writer, record, DecisionLogJsonContext.Default.DecisionRecord);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Cosmos DB decision log: {Failed} of {Count} upserts failed (last status {Status}); the batch will be retried")]
    private static partial void LogWriteFailed(ILogger logger, int failed, int count, string status);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "Cosmos DB decision log query failed ({Status})")]
    private static partial void LogQueryFailed(ILogger logger, string status, Exception exception);
}
