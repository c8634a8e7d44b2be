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
/// <see cref="PartitionKeyPath"/>, as group items: one item holds up to <see cref="MaxGroupRecords"/> records of one tenant
/// and UTC hour, compressed by <see cref="DecisionGroupCodec"/> (base64 in <c>z</c>), beside what queries select on:
/// <c>{ id: "g:{first id}.{n}", pk: "{tenant}:{yyyyMMddHH}:{bucket}", tenantId, sk: newest "{utcTicks:D19}:{id}", lo: oldest, n,
/// ids: [...], agents: [...], subjects: [...], resources: [...], actions: [...], ttl, z }</c>
/// (the bucket is that of the group's first decision id). Only those paths are indexed (<see cref="IndexingPolicy"/>).
/// <para>Items of the earlier layout (one per decision: <c>{ id, pk, tenantId, sk, agentId, ..., record }</c>, where
/// <c>sk</c> is the record's own) stay readable: both kinds order by <c>sk</c> — a group's newest record — and answer the
/// same query, whose filters hold for either (<c>c.agentId = @agent OR ARRAY_CONTAINS(c.agents, @agent)</c>). Nothing
/// is migrated; TTL removes the old items.</para>
/// <para>Why not <c>/tenantId</c> like the other containers: every decision of a tenant would land in one logical
/// partition — a hot partition at high rates and a hard 20 GB ceiling. With <c>pk</c> a tenant's writes spread over
/// <c>DecisionLog:Buckets</c> partitions per hour. Tenant isolation holds: <c>pk</c> starts with the tenant, and every
/// query names the tenant in its text (<c>c.tenantId = @tenant</c>) besides querying only that tenant's partition keys.</para>
/// <para>Queries walk the requested range newest first in windows of whole hours (one hour, doubling up to a day while
/// windows come back empty). Each partition key of a window gets its own single-partition query ordered by <c>sk</c>
/// (no cross-partition <c>ORDER BY</c>: the SDK rewrites one into a fully parenthesised filter whose parse time grows
/// exponentially with the number of conditions on the local test server). Items are read newest first, groups decoded
/// and their records filtered in memory; a record is final once it sorts at or after the <c>sk</c> of the last item read
/// (no unread item holds a newer one). The partitions' records are merged by sort key, and pages are keyset on it.</para>
/// <para>Writes: one upsert per group, its id made from its first decision id and size, so the same batch written again
/// replaces its items. A batch retried with other boundaries may store a record in two groups; reads drop the second
/// copy by decision id (the copies are the same record), so a page, and a lookup by id, holds each record once.</para>
/// <para>Retention: each item carries <c>ttl</c> = <c>DecisionLog:RetentionDays</c>; the service deletes expired items
/// (the container has <c>defaultTtl</c> set by Bicep). The local test server ignores TTL, so retention is not testable
/// against it.</para>
/// </summary>
public sealed partial class CosmosDecisionLogSink : IDecisionLogSink
{
    public const string PartitionKeyPath = "/pk";

    /// <summary>Records per group item at most (~30 KB compressed on the demo tenant; Cosmos DB allows 2 MB).</summary>
    public const int MaxGroupRecords = 500;

    private const int MaxHoursPerWindow = 24;
    // Items per query page: a group holds up to 500 records, so a few answer most pages; old items are small.
    private const int ItemsPerPage = 25;

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

    /// <summary>
    /// What the decisions container indexes: the paths the queries select and order on, of group items and of items of
    /// the earlier layout; nothing else (not <c>z</c>, not <c>record</c>). Bicep (<c>bicep/modules/cosmos.bicep</c>) sets the same.
    /// </summary>
    public static IndexingPolicy IndexingPolicy()
    {
        var policy = new IndexingPolicy { IndexingMode = IndexingMode.Consistent, Automatic = true };
        foreach (var path in IndexedPaths)
        {
            policy.IncludedPaths.Add(new IncludedPath { Path = path });
        }

        policy.ExcludedPaths.Add(new ExcludedPath { Path = "/*" });
        return policy;
    }

    /// <summary>The indexed paths (see <see cref="IndexingPolicy"/>).</summary>
    public static IReadOnlyList<string> IndexedPaths { get; } =
    [
        "/tenantId/?", "/sk/?", "/lo/?",
        "/ids/[]/?", "/agents/[]/?", "/subjects/[]/?", "/resources/[]/?", "/actions/[]/?",
        // Items of the earlier layout, one per decision, until their TTL removes them.
        "/agentId/?", "/subjectId/?", "/subjectType/?", "/resourceId/?", "/resourceType/?", "/action/?", "/allowed/?",
    ];

    public async Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        // The store creates the database and containers (decisions included) when Cosmos:CreateIfNotExists is on.
        await _calls.EnsureReadyAsync(cancellationToken);
        var ttl = _options.RetentionDays * 86400;
        var groups = records
            .GroupBy(r => (r.TenantId, Hour: r.Time.UtcTicks / TimeSpan.TicksPerHour))
            .SelectMany(g => g.DistinctBy(r => r.Id, StringComparer.Ordinal).Chunk(MaxGroupRecords))
            .ToList();
        var failures = 0;
        HttpStatusCode? lastStatus = null;
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (group, ct) =>
        {
            var pk = DecisionLogPartitions.Key(group[0].TenantId, group[0].Time, group[0].Id, _options.Buckets);
            try
            {
                using var response = await _container.UpsertItemStreamAsync(SerializeGroup(group, pk, ttl), new PartitionKey(pk), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct);
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
            // The whole batch is retried; the groups already stored are upserted again unchanged (same ids).
            LogWriteFailed(_logger, failures, groups.Count, lastStatus?.ToString() ?? "no response");
            throw new StoreUnavailableException($"Cosmos DB did not store {failures} of {groups.Count} decision groups (last status {lastStatus}).");
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
            // before it (and a group holds one hour), so a window's newest records, appended in order, continue the
            // page. A window starts at one hour and doubles (up to a day) while the windows before it found nothing:
            // dense logs stop after an hour, sparse ones query more hours' partitions side by side.
            var windowHours = 1;
            for (var h = 0; h < hours.Count && items.Count <= pageSize;)
            {
                var window = hours.GetRange(h, Math.Min(windowHours, hours.Count - h));
                h += window.Count;
                var needed = pageSize + 1 - items.Count;
                var found = await QueryWindowAsync(tenantId, query, after, window, lowerSk, upper, needed, cancellationToken);
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
    /// returns its own newest <paramref name="take"/>, which together hold the window's), merged by sort key descending,
    /// each decision once.
    /// </summary>
    private async Task<List<DecisionRecord>> QueryWindowAsync(
        string tenantId, DecisionLogQuery query, DecisionLogCursor? after, IReadOnlyList<DateTimeOffset> hours, string lower, string upper, int take, CancellationToken cancellationToken)
    {
        var keys = DecisionLogPartitions.KeysFor(tenantId, hours, _options.Buckets).ToArray();
        var found = new List<(string Sk, DecisionRecord Record)>[keys.Length];
        await Parallel.ForAsync(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            found[i] = await QueryPartitionAsync(tenantId, query, after, keys[i], lower, upper, take, ct));

        var merged = found.SelectMany(f => f).DistinctBy(f => f.Record.Id, StringComparer.Ordinal).ToList();
        merged.Sort((a, b) => string.CompareOrdinal(b.Sk, a.Sk));
        return [.. merged.Take(take).Select(f => f.Record)];
    }

    private async Task<List<(string Sk, DecisionRecord Record)>> QueryPartitionAsync(
        string tenantId, DecisionLogQuery query, DecisionLogCursor? after, string key, string lower, string upper, int take, CancellationToken cancellationToken)
    {
        var items = new List<(string Sk, DecisionRecord Record)>();
        using var iterator = _container.GetItemQueryStreamIterator(BuildQuery(tenantId, query, key, lower, upper), requestOptions: new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(key),
            MaxItemCount = Math.Min(take, ItemsPerPage),
        });
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            if (!page.IsSuccessStatusCode)
            {
                throw new StoreUnavailableException($"Cosmos DB decision log query failed with status {(int)page.StatusCode} ({page.StatusCode}).");
            }

            using var document = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            foreach (var item in document.RootElement.GetProperty("Documents").EnumerateArray())
            {
                // Items come newest sk first; no later item holds a record newer than this one's sk.
                var itemSk = item.GetProperty("sk").GetString()!;
                if (items.Count(f => string.CompareOrdinal(f.Sk, itemSk) >= 0) >= take)
                {
                    return Newest(items, take);
                }

                if (item.TryGetProperty("z", out var z))
                {
                    foreach (var record in DecisionGroupCodec.Decode(tenantId, z.GetBytesFromBase64()))
                    {
                        if (query.Matches(record, after))
                        {
                            items.Add((SortKey(record.Time.UtcTicks, record.Id), record));
                        }
                    }
                }
                else
                {
                    items.Add((itemSk, item.GetProperty("record").Deserialize(DecisionLogJsonContext.Default.DecisionRecord)!));
                }
            }
        }

        return Newest(items, take);
    }

    private static List<(string Sk, DecisionRecord Record)> Newest(List<(string Sk, DecisionRecord Record)> items, int take)
    {
        var distinct = items.DistinctBy(f => f.Record.Id, StringComparer.Ordinal).ToList();
        distinct.Sort((a, b) => string.CompareOrdinal(b.Sk, a.Sk));
        return distinct.Count > take ? distinct.GetRange(0, take) : distinct;
    }

    /// <summary>Time then id as one sortable string: fixed-width UTC ticks, so string order is time order.</summary>
    public static string SortKey(long utcTicks, string? id = null) =>
        id is null ? utcTicks.ToString("D19", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{utcTicks:D19}:{id}");

    private static QueryDefinition BuildQuery(string tenantId, DecisionLogQuery query, string key, string lower, string upper)
    {
        // A flat AND chain: the query runs in one partition, so the SDK sends it as written. An item answers when it
        // can hold a match: a group whose records span [lo, sk] overlapping [lower, upper) and whose value sets hold
        // each filter's value, or an item of the earlier layout whose own fields match. The fields a group has no set
        // for (subject type, resource type, permit/deny) are checked on its decoded records.
        var sql = new StringBuilder("SELECT c.sk, c.z, c.record FROM c WHERE c.tenantId = @tenant AND c.pk = @pk");
        sql.Append(" AND c.sk >= @lower AND (c.sk < @upper OR c.lo < @upper)");
        var parameters = new List<(string, object)> { ("@tenant", tenantId), ("@pk", key), ("@lower", lower), ("@upper", upper) };
        Filter(sql, parameters, "id", "ids", query.DecisionId);
        Filter(sql, parameters, "agentId", "agents", query.AgentId);
        Filter(sql, parameters, "subjectId", "subjects", query.SubjectId);
        Filter(sql, parameters, "resourceId", "resources", query.ResourceId);
        Filter(sql, parameters, "action", "actions", query.Action);
        Filter(sql, parameters, "subjectType", null, query.SubjectType);
        Filter(sql, parameters, "resourceType", null, query.ResourceType);
        if (query.Allowed is { } allowed)
        {
            sql.Append(" AND (IS_DEFINED(c.z) OR c.allowed = @allowed)");
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

    private static void Filter(StringBuilder sql, List<(string, object)> parameters, string field, string? groupSet, string? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND (c.").Append(field).Append(" = @").Append(field);
        sql.Append(groupSet is null ? " OR IS_DEFINED(c.z))" : $" OR ARRAY_CONTAINS(c.{groupSet}, @{field}))");
        parameters.Add(("@" + field, value));
    }

    /// <summary>A group item (see the class summary): the value sets, the time range, the compressed records.</summary>
    private static MemoryStream SerializeGroup(DecisionRecord[] group, string pk, int ttl)
    {
        var body = DecisionGroupCodec.Encode(group);
        var stream = new MemoryStream(body.Length * 4 / 3 + group.Length * 48 + 512);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", CosmosItems.ItemId("g", group[0].Id + "." + group.Length.ToString(CultureInfo.InvariantCulture)));
            writer.WriteString("pk", pk);
            writer.WriteString("tenantId", group[0].TenantId);
            DecisionRecord oldest = group[0], newest = group[0];
            foreach (var r in group)
            {
                oldest = DecisionLogQuery.NewestFirst(r, oldest) > 0 ? r : oldest;
                newest = DecisionLogQuery.NewestFirst(r, newest) < 0 ? r : newest;
            }

            writer.WriteString("sk", SortKey(newest.Time.UtcTicks, newest.Id));
            writer.WriteString("lo", SortKey(oldest.Time.UtcTicks, oldest.Id));
            writer.WriteNumber("n", group.Length);
            Set(writer, "ids", group.Select(r => r.Id));
            Set(writer, "agents", group.Select(r => r.AgentId));
            Set(writer, "subjects", group.Select(r => r.SubjectId));
            Set(writer, "resources", group.Select(r => r.ResourceId));
            Set(writer, "actions", group.Select(r => r.Action));
            writer.WriteNumber("ttl", ttl);
            writer.WriteBase64String("z", body);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    private static void Set(Utf8JsonWriter writer, string name, IEnumerable<string?> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Cosmos DB decision log: {Failed} of {Count} upserts failed (last status {Status}); the batch will be retried")]
    private static partial void LogWriteFailed(ILogger logger, int failed, int count, string status);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "Cosmos DB decision log query failed ({Status})")]
    private static partial void LogQueryFailed(ILogger logger, string status, Exception exception);
}
