using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Cosmos.DecisionLog;
using Arbiter.Store.Sqlite;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Arbiter.Store.Sqlite.DecisionLog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// What a decision costs to keep (issue #22): <c>count</c> real records (demo-tenant requests evaluated by the engine,
/// stamped at 10,000 decisions/s) measured as they are stored today — the JSON record, the Cosmos DB item the sink
/// writes (same members as <c>CosmosDecisionLogSink</c>), the SQLite row with its indexes (file bytes / rows) — and as
/// grouped documents (records of one partition key in one document: plain, dictionary-coded, and dictionary-coded then
/// Brotli-compressed and base64'd as a Cosmos document would carry it). Cosmos RU per write are interpolated from the
/// published table of write charge by document size (see bench/README.md for the table and its source).
/// </summary>
public static class CostRun
{
    // Published write charge (RU) by document size (KB), "Understand request unit consumption", Azure Cosmos DB docs.
    private static readonly (double Kb, double Ru)[] WriteCharge =
        [(1, 4.95), (2, 6.29), (4, 6.67), (8, 7.04), (16, 9.52), (32, 11.23), (64, 22.67), (128, 48.19), (256, 98.29), (512, 184.57), (1024, 625.00), (2048, 1250.00)];

    // The flusher's batch (DecisionLog:BatchSize default).
    private const int Batch = 500;

    // The group item's indexed arrays (CosmosDecisionLogSink.IndexedPaths).
    private static readonly string[] ValueSets = ["ids", "agents", "subjects", "resources", "actions"];

    // Lookups by decision id through the sink (each one query per partition key of an hour on the local server: slow there).
    private const int Lookups = 300;

    // Cosmos adds _rid, _self, _etag, _attachments and _ts to every stored item (measured on a real account: ~170 bytes).
    private const int SystemPropertyBytes = 170;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var records = DemoRecords(count);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {count:N0} demo-tenant decisions ({records.Count(r => r.Allowed):N0} permits), 10,000/s; load {MachineLoad.OneMinute()}");
        var recordBytes = records.Average(r => JsonSerializer.SerializeToUtf8Bytes(r, DecisionLogJsonContext.Default.DecisionRecord).Length);
        var itemBytes = records.Average(r => CosmosItemToday(r).Length) + SystemPropertyBytes;
        Console.WriteLine($"record JSON: {recordBytes:F0} bytes; Cosmos item of the earlier layout (one per decision, + {SystemPropertyBytes} system bytes): {itemBytes:F0} bytes");
        Console.WriteLine($"  -> {Ru(itemBytes):F2} RU per decision (one upsert each), {Ru(itemBytes) * 10_000:N0} RU/s at 10,000 decisions/s; {itemBytes * 10_000 * 86_400 / 1e9:F1} GB a day");
        var sqlite = await SqliteBytesPerRecordAsync(records);
        Console.WriteLine($"SQLite (SqliteDecisionLogSink, batches of {Batch}): {sqlite.Bytes:F0} bytes per decision (file, indexes included), {sqlite.Bytes * 100_000 / 1e6:F1} MB per 100,000; {sqlite.Groups:N0} groups");
        // The demo tenant has a handful of users, so its records repeat more than a large tenant's: the same records with
        // 20,000 distinct subjects (the benchmark scenario's user count) as the less compressible case.
        var diverse = records.Select((r, i) => r with { SubjectId = "user-" + (i * 7919L % 20_000).ToString("D5", CultureInfo.InvariantCulture) }).ToArray();
        var sqliteDiverse = await SqliteBytesPerRecordAsync(diverse);
        Console.WriteLine($"SQLite, the same with 20,000 distinct subjects: {sqliteDiverse.Bytes:F0} bytes per decision, {sqliteDiverse.Bytes * 100_000 / 1e6:F1} MB per 100,000");
        if (Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL") is { Length: > 0 } endpoint)
        {
            foreach (var (label, set) in new[] { ("demo records", records), ("with 20,000 distinct subjects", diverse) })
            {
                var c = await CosmosStoredBytesAsync(set, endpoint);
                Console.WriteLine($"local Cosmos endpoint {endpoint}, {label}: {count:N0} records written by CosmosDecisionLogSink in batches of {Batch}: {c.Upserts:N0} upserts, {c.Items:N0} items "
                    + $"({c.ItemBytes / Math.Max(1, c.Items) / 1024.0:F1} KB each as stored and read back), {c.QueryPages:N0} query pages to read them");
                // Items as the endpoint returns them carry its system properties already (_rid, _self, _etag, _ts, _attachments).
                var perItem = c.ItemBytes / (double)Math.Max(1, c.Items);
                var ruPerDecision = Ru(perItem) * c.Items / count;
                Console.WriteLine($"  -> {c.ItemBytes / (double)count:F0} bytes per decision, "
                    + $"{c.Items / (double)count:F4} upserts per decision, write charge({perItem / 1024:F1} KB) = {Ru(perItem):F2} RU per item -> {ruPerDecision:F3} RU per decision, {ruPerDecision * 10_000:N0} RU/s at 10,000/s");
                Console.WriteLine($"  indexed terms: {c.IndexedTerms / (double)Math.Max(1, c.Items):F0} per item, {c.IndexedTerms / (double)count:F2} per decision (the earlier layout indexed every member but the record: 12 per decision)");
                Console.WriteLine($"  the first {Math.Min(Lookups, count):N0} records, one query each by decision id, read back {c.LookupsFound:N0}");
            }
        }

        // Grouped by partition key (tenant, hour, bucket of 8) in arrival order, n records per document.
        var byPartition = records.GroupBy(r => DecisionLogPartitions.Key(r.TenantId, r.Time, r.Id, 8)).ToList();
        foreach (var n in new[] { 100, 250, 500, 1000 })
        {
            double plain = 0, coded = 0, compressed = 0, ru = 0;
            var documents = 0;
            foreach (var partition in byPartition)
            {
                foreach (var group in partition.Chunk(n))
                {
                    documents++;
                    var p = GroupPlain(group).Length + SystemPropertyBytes;
                    var (c, z) = GroupCoded(group);
                    plain += p;
                    coded += c + SystemPropertyBytes;
                    compressed += z + SystemPropertyBytes;
                    ru += Ru(z + SystemPropertyBytes);
                }
            }

            Console.WriteLine($"grouped {n,5} per document ({documents:N0} documents): plain {plain / count:F0} B, coded {coded / count:F0} B, coded+brotli+base64 {compressed / count:F0} B per decision "
                + $"({compressed / documents / 1024:F1} KB documents) -> {ru / count:F3} RU per decision, {ru / count * 10_000:N0} RU/s at 10,000/s");
        }

        return 0;
    }

    /// <summary>
    /// <paramref name="count"/> records of demo-tenant requests evaluated by the engine (every user and agent against
    /// every agent, tool and data resource, round robin), stamped at 10,000 decisions/s from 2026-12-01 12:00 UTC.
    /// </summary>
    public static DecisionRecord[] DemoRecords(int count)
    {
        var snapshot = NoLossRun.DemoSnapshot();
        var requests = NoLossRun.Requests(snapshot);
        var start = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var records = new DecisionRecord[count];
        for (var i = 0; i < count; i++)
        {
            var request = requests[i % requests.Length];
            var began = Stopwatch.GetTimestamp();
            var decision = snapshot.Evaluate(request);
            // 10,000 decisions/s: one every 100 µs.
            records[i] = DecisionRecord.From("demo", "req-" + i.ToString(CultureInfo.InvariantCulture), request, decision, Stopwatch.GetElapsedTime(began), start.AddTicks(i * 1000L));
        }

        return records;
    }

    /// <summary>Linear interpolation in the published write-charge table (the charge of a 1 KB write at most for less).</summary>
    public static double Ru(double bytes)
    {
        var kb = bytes / 1024;
        if (kb <= WriteCharge[0].Kb)
        {
            return WriteCharge[0].Ru;
        }

        for (var i = 1; i < WriteCharge.Length; i++)
        {
            if (kb <= WriteCharge[i].Kb)
            {
                var (k0, r0) = WriteCharge[i - 1];
                var (k1, r1) = WriteCharge[i];
                return r0 + (r1 - r0) * (kb - k0) / (k1 - k0);
            }
        }

        return WriteCharge[^1].Ru * kb / WriteCharge[^1].Kb;
    }

    /// <summary>The item <c>CosmosDecisionLogSink</c> writes today: the filter fields, the sort key, ttl and the whole record.</summary>
    private static byte[] CosmosItemToday(DecisionRecord record)
    {
        using var stream = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", record.Id);
            writer.WriteString("pk", DecisionLogPartitions.Key(record.TenantId, record.Time, record.Id, 8));
            writer.WriteString("tenantId", record.TenantId);
            writer.WriteString("sk", string.Create(CultureInfo.InvariantCulture, $"{record.Time.UtcTicks:D19}:{record.Id}"));
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
            writer.WriteNumber("ttl", 90 * 86400);
            writer.WritePropertyName("record");
            JsonSerializer.Serialize(writer, record, DecisionLogJsonContext.Default.DecisionRecord);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>A document of whole records (an array of today's JSON records) with the envelope a query needs.</summary>
    private static byte[] GroupPlain(DecisionRecord[] group)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            Envelope(writer, group);
            writer.WriteStartArray("records");
            foreach (var record in group)
            {
                JsonSerializer.Serialize(writer, record, DecisionLogJsonContext.Default.DecisionRecord);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// The same records with every string in a per-document dictionary (ids, policy ids, reasons: each written once) and
    /// each record an array of codes and numbers; the filter arrays (distinct agents, subjects, resources, actions) stay
    /// plain for indexing. Returns the coded document's size, and its size with the records Brotli-compressed and base64'd.
    /// </summary>
    private static (int Coded, int Compressed) GroupCoded(DecisionRecord[] group)
    {
        var dictionary = new Dictionary<string, int>(StringComparer.Ordinal);
        var strings = new List<string>();
        int Code(string? value)
        {
            if (value is null)
            {
                return -1;
            }

            if (!dictionary.TryGetValue(value, out var code))
            {
                code = strings.Count;
                dictionary[value] = code;
                strings.Add(value);
            }

            return code;
        }

        var first = group[0].Time.UtcTicks;
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartArray();
            foreach (var r in group)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue((r.Time.UtcTicks - first) / 10); // µs after the document's first record
                writer.WriteStringValue(r.Id);
                writer.WriteNumberValue(Code(r.RequestId));
                writer.WriteNumberValue(Code(r.SubjectType));
                writer.WriteNumberValue(Code(r.SubjectId));
                writer.WriteNumberValue(Code(r.AgentId));
                writer.WriteNumberValue(Code(r.Action));
                writer.WriteNumberValue(Code(r.ResourceType));
                writer.WriteNumberValue(Code(r.ResourceId));
                writer.WriteNumberValue(r.Allowed ? 1 : 0);
                writer.WriteNumberValue(Code(r.Mode));
                writer.WriteStartArray();
                foreach (var p in r.MatchedPolicies)
                {
                    writer.WriteNumberValue(Code(p));
                }

                writer.WriteEndArray();
                writer.WriteNumberValue(Code(r.ReasonAdmin));
                writer.WriteNumberValue(Code(r.ReasonUser));
                writer.WriteStartArray();
                foreach (var o in r.Obligations)
                {
                    writer.WriteNumberValue(Code(o.Id));
                    writer.WriteNumberValue(Code(o.Type));
                }

                writer.WriteEndArray();
                writer.WriteNumberValue(r.SnapshotVersion);
                writer.WriteNumberValue(r.LatencyMicroseconds);
                writer.WriteNumberValue(r.ShadowWouldChange ? 1 : 0);
                writer.WriteStartArray();
                foreach (var p in r.ShadowPolicies)
                {
                    writer.WriteNumberValue(Code(p));
                }

                writer.WriteEndArray();
                writer.WriteNumberValue(Code(r.ResourceServer));
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        var recordsJson = body.ToArray();
        var stringsJson = JsonSerializer.SerializeToUtf8Bytes(strings, DecisionLogBenchJsonContext.Default.ListString);
        byte[] Document(Action<Utf8JsonWriter> payload)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                Envelope(writer, group);
                payload(writer);
                writer.WriteEndObject();
            }

            return stream.ToArray();
        }

        var coded = Document(w =>
        {
            w.WritePropertyName("strings");
            w.WriteRawValue(stringsJson);
            w.WritePropertyName("records");
            w.WriteRawValue(recordsJson);
        });
        using var packed = new MemoryStream();
        using (var brotli = new BrotliStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            brotli.Write(stringsJson);
            brotli.Write("\n"u8);
            brotli.Write(recordsJson);
        }

        var compressed = Document(w => w.WriteBase64String("z", packed.ToArray()));
        return (coded.Length, compressed.Length);
    }

    /// <summary>What a query filters on, indexed: partition, time range, and the distinct values of each filter field.</summary>
    private static void Envelope(Utf8JsonWriter writer, DecisionRecord[] group)
    {
        writer.WriteString("id", group[0].Id);
        writer.WriteString("pk", DecisionLogPartitions.Key(group[0].TenantId, group[0].Time, group[0].Id, 8));
        writer.WriteString("tenantId", group[0].TenantId);
        writer.WriteString("from", group[0].Time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture));
        writer.WriteString("to", group[^1].Time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture));
        writer.WriteNumber("ttl", 90 * 86400);
        void Distinct(string name, IEnumerable<string?> values)
        {
            writer.WriteStartArray(name);
            foreach (var value in values.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        Distinct("agents", group.Select(r => r.AgentId));
        Distinct("subjects", group.Select(r => r.SubjectId));
        Distinct("resources", group.Select(r => r.ResourceId));
        Distinct("actions", group.Select(r => r.Action));
        Distinct("ids", group.Select(r => r.Id));
    }

    /// <summary>
    /// Writes the records through the real Cosmos sink in the flusher's batches, then reads every item of the tenant's
    /// partition keys back (bytes as the endpoint stores and returns them, system properties included) and looks up
    /// the first 2,000 records by decision id through the sink's own query.
    /// </summary>
    private static async Task<(long Upserts, int Items, long ItemBytes, int QueryPages, int LookupsFound, long IndexedTerms)> CosmosStoredBytesAsync(DecisionRecord[] records, string endpoint)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL_KEY"),
            ["Cosmos:Database"] = "arbiter-dl-cost-" + Guid.NewGuid().ToString("N")[..8],
            ["Cosmos:CreateIfNotExists"] = "true",
            ["DecisionLog:Buckets"] = "8",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddCosmosDecisionLogSink(configuration).BuildServiceProvider();
        var sink = provider.GetRequiredService<CosmosDecisionLogSink>();
        long upserts = 0;
        foreach (var batch in records.Chunk(Batch))
        {
            await sink.WriteBatchAsync(batch, CancellationToken.None);
            // One upsert per group: per (tenant, hour) of the batch, up to MaxGroupRecords each.
            upserts += batch.GroupBy(r => (r.TenantId, r.Time.UtcTicks / TimeSpan.TicksPerHour)).Sum(g => (g.Count() + CosmosDecisionLogSink.MaxGroupRecords - 1) / CosmosDecisionLogSink.MaxGroupRecords);
        }

        var container = provider.GetRequiredService<CosmosContainers>().Decisions;
        var hours = records.Select(r => new DateTimeOffset(r.Time.UtcTicks / TimeSpan.TicksPerHour * TimeSpan.TicksPerHour, TimeSpan.Zero)).Distinct().ToList();
        long bytes = 0, terms = 0;
        int items = 0, pages = 0;
        foreach (var tenant in records.Select(r => r.TenantId).Distinct())
        {
            foreach (var key in DecisionLogPartitions.KeysFor(tenant, hours, 8))
            {
                using var iterator = container.GetItemQueryStreamIterator(new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk").WithParameter("@pk", key), requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(key) });
                while (iterator.HasMoreResults)
                {
                    using var page = await iterator.ReadNextAsync();
                    pages++;
                    if (!page.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"reading {key}: {(int)page.StatusCode} {page.ErrorMessage}");
                    }

                    using var document = await JsonDocument.ParseAsync(page.Content);
                    foreach (var item in document.RootElement.GetProperty("Documents").EnumerateArray())
                    {
                        items++;
                        bytes += System.Text.Encoding.UTF8.GetByteCount(item.GetRawText());
                        // Terms the indexing policy indexes: three scalars and every element of the value sets.
                        terms += 3 + ValueSets.Sum(set => item.TryGetProperty(set, out var a) ? a.GetArrayLength() : 0);
                    }
                }
            }
        }

        var found = 0;
        foreach (var record in records.AsSpan(0, Math.Min(Lookups, records.Length)).ToArray())
        {
            var page = await sink.QueryAsync(record.TenantId, new DecisionLogQuery { From = record.Time.AddMinutes(-1), To = record.Time.AddMinutes(10), DecisionId = record.Id }, null, 1, CancellationToken.None);
            found += page.Items.Count(r => r.Id == record.Id);
        }

        await container.Database.DeleteStreamAsync();
        return (upserts, items, bytes, pages, found, terms);
    }

    /// <summary>The SQLite file's growth per record through the real sink in the flusher's batches, and its groups.</summary>
    private static async Task<(double Bytes, long Groups)> SqliteBytesPerRecordAsync(DecisionRecord[] records)
    {
        var work = Path.Combine(Path.GetTempPath(), "arbiter-decision-log-cost-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var path = Path.Combine(work, "arbiter.db");
            var options = Options.Create(new DecisionLogOptions { SpillDirectory = Path.Combine(work, "spill") });
            long groups;
            using (var sink = new SqliteDecisionLogSink(Options.Create(new SqliteStoreOptions { SqlitePath = path }), options, TimeProvider.System, NullLogger<SqliteDecisionLogSink>.Instance))
            {
                // The empty file first (schema only), so the figure is growth per record.
                await sink.CountAsync(CancellationToken.None);
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                var empty = Directory.GetFiles(work, "arbiter.db*").Sum(f => new FileInfo(f).Length);
                foreach (var batch in records.Chunk(Batch))
                {
                    await sink.WriteBatchAsync(batch, CancellationToken.None);
                }

                groups = await sink.GroupCountAsync(CancellationToken.None);
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                // The WAL is checkpointed into the file when the last connection closes.
                var bytes = Directory.GetFiles(work, "arbiter.db*").Sum(f => new FileInfo(f).Length);
                return ((bytes - empty) / (double)records.Length, groups);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

}
