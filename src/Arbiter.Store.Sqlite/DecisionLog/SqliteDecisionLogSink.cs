using Arbiter.Engine.Decisions;
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbiter.DecisionLog;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Sqlite.DecisionLog;

/// <summary>
/// The decision log in the embedded store's database file (<c>Store:SqlitePath</c>), as groups: table
/// <c>decision_groups</c> holds one row per group of up to <see cref="MaxGroupRecords"/> records of one tenant (its time
/// range and the records compressed by <see cref="DecisionGroupCodec"/>), and <c>decision_ids</c> maps each (tenant,
/// decision id) to its group. A batch is one transaction; a record whose id is already in <c>decision_ids</c> is left
/// out of the new group, so retried batches — with the same or other boundaries — never store a record twice, and a
/// lookup by id reads one group.
/// <para>Queries read the groups that overlap the range newest first (by their newest record), decode them and filter
/// in memory; a record is final once it is newer than the newest record any unread group can hold. A lookup by decision
/// id reads its one group. Rows of the earlier layout (table <c>decision_log</c>, one row per record), where the file
/// has them, are read beside the groups and pruned as before: nothing is migrated.</para>
/// Records older than <c>DecisionLog:RetentionDays</c> are deleted by <see cref="PruneAsync"/> (run periodically by the
/// retention service).
/// Partition buckets do not apply here: one file, one writer; the indexes lead with the tenant.
/// </summary>
public sealed partial class SqliteDecisionLogSink : IDecisionLogSink, IDecisionLogRetention, IDisposable
{
    /// <summary>Records per group at most: a batch of one tenant is split into groups of this size.</summary>
    public const int MaxGroupRecords = 1000;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS decision_groups (
            gid INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            min_time INTEGER NOT NULL,
            max_time INTEGER NOT NULL,
            count INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS decision_groups_by_time ON decision_groups (tenant, max_time);
        CREATE INDEX IF NOT EXISTS decision_groups_expiry ON decision_groups (min_time);
        CREATE TABLE IF NOT EXISTS decision_ids (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            gid INTEGER NOT NULL,
            PRIMARY KEY (tenant, id)
        ) WITHOUT ROWID;
        """;

    private const int PruneChunk = 1_000;

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;
    private readonly DecisionLogOptions _options;
    private readonly ILogger<SqliteDecisionLogSink> _logger;
    // Whether the file has the earlier one-row-per-record table (checked once; a file never gains it again).
    private bool? _legacy;
    // Group bodies for the encoder thread (see EncodeAhead).
    private readonly BlockingCollection<Lazy<byte[]>> _encodeQueue = [];
    private Thread? _encoder;

    public SqliteDecisionLogSink(IOptions<SqliteStoreOptions> store, IOptions<DecisionLogOptions> options, TimeProvider time, ILogger<SqliteDecisionLogSink> logger)
    {
        var o = store.Value;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _db = new SqliteDatabase(o, Schema); // the same file (or named in-memory database) as the document store
    }

    public async Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        // Every group's body is encoded before its insert and apart from the others (encoding is most of the CPU per
        // record): the sink's encoder thread starts on the later groups while this thread encodes the first; a group the
        // encoder has not started when its turn comes is encoded here, so a write never waits for it.
        var groups = records
            .GroupBy(r => r.TenantId, StringComparer.Ordinal)
            .SelectMany(t => t.Chunk(MaxGroupRecords).Select(chunk => (Tenant: t.Key, Records: chunk)))
            .ToList();
        var bodies = new Lazy<byte[]>[groups.Count];
        for (var i = 0; i < groups.Count; i++)
        {
            var chunk = groups[i].Records;
            bodies[i] = new Lazy<byte[]>(() => DecisionGroupCodec.Encode(chunk), LazyThreadSafetyMode.ExecutionAndPublication);
            if (i > 0)
            {
                EncodeAhead(bodies[i]);
            }
        }

        _ = bodies[0].Value; // before the transaction: the write lock is held for inserts only
        await RunAsync(async connection =>
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using var group = Command(connection, transaction,
                "INSERT INTO decision_groups (tenant, min_time, max_time, count, body) VALUES ($tenant, $min, $max, $count, $body) RETURNING gid",
                ("$tenant", null), ("$min", null), ("$max", null), ("$count", null), ("$body", null));
            // One statement per group claims all its ids (a JSON array of them); the conflicts, ids this store already
            // has, are left out of the count.
            await using var claim = Command(connection, transaction,
                "INSERT INTO decision_ids (tenant, id, gid) SELECT $tenant, value, $gid FROM json_each(CAST($ids AS TEXT)) WHERE true ON CONFLICT (tenant, id) DO NOTHING",
                ("$tenant", null), ("$gid", null), ("$ids", null));
            for (var i = 0; i < groups.Count; i++)
            {
                var (tenant, chunk) = groups[i];
                var (min, max) = TimeRange(chunk);
                Bind(group, tenant, min, max, chunk.Length, bodies[i].Value);
                var gid = (long)(await group.ExecuteScalarAsync(cancellationToken))!;
                claim.Parameters["$tenant"].Value = tenant;
                claim.Parameters["$gid"].Value = gid;
                claim.Parameters["$ids"].Value = IdsJson(chunk);
                if (await claim.ExecuteNonQueryAsync(cancellationToken) != chunk.Length)
                {
                    // Some ids were stored before (a retried batch) or twice in this one: the group keeps the rest.
                    await KeepClaimedAsync(connection, transaction, tenant, gid, chunk, cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Hands a body to the encoder thread (started on first use).</summary>
    private void EncodeAhead(Lazy<byte[]> body)
    {
        if (_encoder is null)
        {
            lock (_encodeQueue)
            {
                // Its own thread, not a thread-pool work item: on a busy server a work item waits behind the requests
                // queued before it, while a thread is given its share of the CPU by the OS at once — the log's share is
                // what lets it keep up with them.
                if (_encoder is null)
                {
                    var encoder = new Thread(EncodeLoop) { IsBackground = true, Name = "Arbiter decision log encoder" };
                    encoder.Start();
                    _encoder = encoder;
                }
            }
        }

        if (!_encodeQueue.IsAddingCompleted)
        {
            try
            {
                _encodeQueue.Add(body);
            }
            catch (InvalidOperationException)
            {
                // Disposed meanwhile: the writer encodes the group itself.
            }
        }
    }

    private void EncodeLoop()
    {
        foreach (var body in _encodeQueue.GetConsumingEnumerable())
        {
            try
            {
                _ = body.Value;
            }
            catch (Exception)
            {
                // Cached in the Lazy: the writer meets the same exception when it takes the body, and fails the batch there.
            }
        }
    }

    /// <summary>
    /// After a partial claim: the group's row is rewritten with only the records whose ids it claimed (the first of each
    /// id), or removed when it claimed none.
    /// </summary>
    private static async Task KeepClaimedAsync(SqliteConnection connection, SqliteTransaction transaction, string tenant, long gid, DecisionRecord[] chunk, CancellationToken cancellationToken)
    {
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        await using (var select = Command(connection, transaction, "SELECT id FROM decision_ids WHERE tenant = $tenant AND gid = $gid", ("$tenant", tenant), ("$gid", gid)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(reader.GetString(0));
            }
        }

        var fresh = chunk.Where(r => claimed.Remove(r.Id)).ToArray();
        if (fresh.Length == 0)
        {
            await using var drop = Command(connection, transaction, "DELETE FROM decision_groups WHERE gid = $gid", ("$gid", gid));
            await drop.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        var (min, max) = TimeRange(fresh);
        await using var fill = Command(connection, transaction,
            "UPDATE decision_groups SET min_time = $min, max_time = $max, count = $count, body = $body WHERE gid = $gid",
            ("$min", min), ("$max", max), ("$count", fresh.Length), ("$body", DecisionGroupCodec.Encode(fresh)), ("$gid", gid));
        await fill.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Bind(SqliteCommand group, string tenant, long min, long max, int count, byte[] body)
    {
        group.Parameters["$tenant"].Value = tenant;
        group.Parameters["$min"].Value = min;
        group.Parameters["$max"].Value = max;
        group.Parameters["$count"].Value = count;
        group.Parameters["$body"].Value = body;
    }

    private static (long Min, long Max) TimeRange(IEnumerable<DecisionRecord> records)
    {
        var (min, max) = (long.MaxValue, long.MinValue);
        foreach (var r in records)
        {
            min = Math.Min(min, r.Time.UtcTicks);
            max = Math.Max(max, r.Time.UtcTicks);
        }

        return (min, max);
    }

    /// <summary>The records' ids as one JSON array (a parameter <c>json_each</c> reads: one statement for a whole group).</summary>
    /// <summary>
    /// The ids as a JSON array in UTF-8, bound as a blob that the statements read as text (<c>CAST($ids AS TEXT)</c>):
    /// a string parameter was the array in UTF-16 (~70 KB a group) and then its UTF-8 copy made by the binding.
    /// </summary>
    private static byte[] IdsJson(IEnumerable<DecisionRecord> records)
    {
        // Ids the engine writes are hex digits and need no escaping: then the array is written straight away, one byte
        // a character (a JSON writer was a visible share of a group's write). Any other id goes through the writer.
        var ids = records as IReadOnlyList<DecisionRecord> ?? records.ToArray();
        var length = 2 + Math.Max(0, ids.Count - 1);
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i].IdParts is not null)
            {
                length += 32 + 2;
                continue;
            }

            var id = ids[i].Id;
            if (id.AsSpan().ContainsAnyExcept(PlainIdChars))
            {
                return EscapedIdsJson(ids);
            }

            length += id.Length + 2;
        }

        var utf8 = new byte[length];
        var at = 0;
        utf8[at++] = (byte)'[';
        for (var i = 0; i < ids.Count; i++)
        {
            if (i > 0)
            {
                utf8[at++] = (byte)',';
            }

            utf8[at++] = (byte)'"';
            if (ids[i].IdParts is { } parts)
            {
                // An id the record holds as its parts is written from them: its text is never made.
                DecisionIds.WriteUtf8(parts, utf8.AsSpan(at, 32));
                at += 32;
            }
            else
            {
                // ASCII only (PlainIdChars): one byte each.
                at += Encoding.ASCII.GetBytes(ids[i].Id, utf8.AsSpan(at));
            }

            utf8[at++] = (byte)'"';
        }

        utf8[at] = (byte)']';
        return utf8;
    }

    // Characters a JSON string holds as they are.
    private static readonly SearchValues<char> PlainIdChars = SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:");

    private static byte[] EscapedIdsJson(IReadOnlyList<DecisionRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var r in records)
            {
                json.WriteStringValue(r.Id);
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return RunAsync(async connection =>
        {
            var take = pageSize + 1;
            var items = query.DecisionId is not null
                ? await GroupOfIdAsync(connection, tenantId, query, after, cancellationToken)
                : await GroupsAsync(connection, tenantId, query, after, take, cancellationToken);
            if (await HasLegacyAsync(connection, cancellationToken))
            {
                items.AddRange(await LegacyAsync(connection, tenantId, query, after, take, cancellationToken));
                items = [.. items.DistinctBy(r => r.Id, StringComparer.Ordinal)];
            }

            items.Sort(DecisionLogQuery.NewestFirst);
            string? next = null;
            if (items.Count > pageSize)
            {
                items.RemoveRange(pageSize, items.Count - pageSize);
                next = DecisionLogCursor.After(items[^1]).Encode();
            }

            return new DecisionLogPage(items, next);
        }, cancellationToken);
    }

    /// <summary>The one record of a decision id, if it matches the rest of the query: its group, found by id.</summary>
    private static async Task<List<DecisionRecord>> GroupOfIdAsync(SqliteConnection connection, string tenantId, DecisionLogQuery query, DecisionLogCursor? after, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "SELECT g.body FROM decision_ids i JOIN decision_groups g ON g.gid = i.gid WHERE i.tenant = $tenant AND i.id = $id AND g.tenant = $tenant",
            ("$tenant", tenantId), ("$id", query.DecisionId));
        var found = new List<DecisionRecord>(1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            found.AddRange(DecisionGroupCodec.Decode(tenantId, (byte[])reader.GetValue(0)).Where(r => query.Matches(r, after)));
        }

        return found;
    }

    /// <summary>
    /// The newest <paramref name="take"/> matches: groups overlapping the range (and older than the cursor) by their newest
    /// record, newest first, each decoded and filtered. Every unread group's records are at most as new as the last
    /// group read, so matches strictly newer than it are final; reading stops once <paramref name="take"/> are.
    /// </summary>
    private static async Task<List<DecisionRecord>> GroupsAsync(SqliteConnection connection, string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int take, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, """
            SELECT max_time, body FROM decision_groups
            WHERE tenant = $tenant AND max_time >= $from AND min_time < $to AND min_time <= $upper
            ORDER BY max_time DESC, gid DESC
            """,
            ("$tenant", tenantId), ("$from", query.From.UtcTicks), ("$to", query.To.UtcTicks), ("$upper", after?.TimeTicks ?? long.MaxValue));
        var found = new List<DecisionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var groupNewest = reader.GetInt64(0);
            if (found.Count(r => r.Time.UtcTicks > groupNewest) >= take)
            {
                break;
            }

            found.AddRange(DecisionGroupCodec.Decode(tenantId, (byte[])reader.GetValue(1)).Where(r => query.Matches(r, after)));
        }

        return found;
    }

    /// <summary>Rows of the earlier one-row-per-record layout, queried as that layout was.</summary>
    private static async Task<List<DecisionRecord>> LegacyAsync(SqliteConnection connection, string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int take, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT body FROM decision_log WHERE tenant = $tenant AND time >= $from AND time < $to");
        await using var command = Command(connection, null, "", ("$tenant", tenantId), ("$from", query.From.UtcTicks), ("$to", query.To.UtcTicks));
        Filter(sql, command, "id", "$id", query.DecisionId);
        Filter(sql, command, "agent_id", "$agent", query.AgentId);
        Filter(sql, command, "subject_id", "$subject", query.SubjectId);
        Filter(sql, command, "subject_type", "$subjectType", query.SubjectType);
        Filter(sql, command, "resource_id", "$resource", query.ResourceId);
        Filter(sql, command, "resource_type", "$resourceType", query.ResourceType);
        Filter(sql, command, "action", "$action", query.Action);
        if (query.Allowed is { } allowed)
        {
            sql.Append(" AND allowed = $allowed");
            command.Parameters.AddWithValue("$allowed", allowed ? 1 : 0);
        }

        if (after is not null)
        {
            sql.Append(" AND (time < $afterTime OR (time = $afterTime AND id < $afterId))");
            command.Parameters.AddWithValue("$afterTime", after.TimeTicks);
            command.Parameters.AddWithValue("$afterId", after.Id);
        }

        sql.Append(" ORDER BY time DESC, id DESC LIMIT $take");
        command.Parameters.AddWithValue("$take", take);
        command.CommandText = sql.ToString();
        var items = new List<DecisionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(JsonSerializer.Deserialize(reader.GetString(0), DecisionLogJsonContext.Default.DecisionRecord)!);
        }

        return items;
    }

    private async Task<bool> HasLegacyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (_legacy is { } known)
        {
            return known;
        }

        await using var command = Command(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'decision_log'");
        var legacy = (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
        _legacy = legacy;
        return legacy;
    }

    /// <summary>
    /// Deletes records older than the retention (by the injected clock) with their ids: a group wholly past it is deleted,
    /// one across it rewritten with its newer records; in chunks (one transaction each) so writers are never held up
    /// long; then rows of the earlier layout.
    /// </summary>
    public Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = (_time.GetUtcNow() - _options.Retention).UtcTicks;
        return RunAsync(async connection =>
        {
            long total = 0;
            while (true)
            {
                await using var transaction = connection.BeginTransaction(deferred: false);
                var expired = new List<(long Gid, string Tenant, byte[] Body)>();
                await using (var select = Command(connection, transaction,
                    "SELECT gid, tenant, body FROM decision_groups WHERE min_time < $cutoff LIMIT $chunk", ("$cutoff", cutoff), ("$chunk", PruneChunk)))
                {
                    await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        expired.Add((reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2)));
                    }
                }

                await using var unclaim = Command(connection, transaction,
                    "DELETE FROM decision_ids WHERE tenant = $tenant AND gid = $gid AND id IN (SELECT value FROM json_each(CAST($ids AS TEXT)))",
                    ("$tenant", null), ("$gid", null), ("$ids", null));
                await using var drop = Command(connection, transaction, "DELETE FROM decision_groups WHERE gid = $gid", ("$gid", null));
                await using var rewrite = Command(connection, transaction,
                    "UPDATE decision_groups SET min_time = $min, count = $count, body = $body WHERE gid = $gid",
                    ("$min", null), ("$count", null), ("$body", null), ("$gid", null));
                foreach (var group in expired)
                {
                    var records = DecisionGroupCodec.Decode(group.Tenant, group.Body);
                    var kept = records.Where(r => r.Time.UtcTicks >= cutoff).ToList();
                    unclaim.Parameters["$tenant"].Value = group.Tenant;
                    unclaim.Parameters["$gid"].Value = group.Gid;
                    unclaim.Parameters["$ids"].Value = IdsJson(records.Where(r => r.Time.UtcTicks < cutoff));
                    await unclaim.ExecuteNonQueryAsync(cancellationToken);
                    if (kept.Count == 0)
                    {
                        drop.Parameters["$gid"].Value = group.Gid;
                        await drop.ExecuteNonQueryAsync(cancellationToken);
                    }
                    else
                    {
                        // A group across the cutoff keeps its newer records: retention is per record, not per group.
                        rewrite.Parameters["$min"].Value = kept.Min(r => r.Time.UtcTicks);
                        rewrite.Parameters["$count"].Value = kept.Count;
                        rewrite.Parameters["$body"].Value = DecisionGroupCodec.Encode(kept);
                        rewrite.Parameters["$gid"].Value = group.Gid;
                        await rewrite.ExecuteNonQueryAsync(cancellationToken);
                    }

                    total += records.Count - kept.Count;
                }

                await transaction.CommitAsync(cancellationToken);
                if (expired.Count < PruneChunk)
                {
                    break;
                }
            }

            if (!await HasLegacyAsync(connection, cancellationToken))
            {
                return total;
            }

            while (true)
            {
                await using var command = Command(connection, null,
                    "DELETE FROM decision_log WHERE rowid IN (SELECT rowid FROM decision_log WHERE time < $cutoff LIMIT $chunk)",
                    ("$cutoff", cutoff), ("$chunk", PruneChunk * 10));
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
                if (deleted < PruneChunk * 10)
                {
                    return total;
                }
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Records stored and distinct (tenant, id) pairs known to the id table (rows of the earlier layout added to both): the
    /// no-loss check compares both with what was logged.
    /// </summary>
    public Task<(long Rows, long DistinctIds)> CountAsync(CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = Command(connection, null, await HasLegacyAsync(connection, cancellationToken)
                ? """
                  SELECT (SELECT COALESCE(SUM(count), 0) FROM decision_groups) + (SELECT COUNT(*) FROM decision_log),
                         (SELECT COUNT(*) FROM (SELECT tenant, id FROM decision_ids UNION SELECT tenant, id FROM decision_log))
                  """
                : "SELECT (SELECT COALESCE(SUM(count), 0) FROM decision_groups), (SELECT COUNT(*) FROM decision_ids)");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }, cancellationToken);

    /// <summary>Groups stored (rows of <c>decision_groups</c>): records per group is what a batch buys.</summary>
    public Task<long> GroupCountAsync(CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = Command(connection, null, "SELECT COUNT(*) FROM decision_groups");
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    public void Dispose()
    {
        _encodeQueue.CompleteAdding(); // the encoder thread ends once the queue is empty
        _db.Dispose();
    }

    /// <summary>A command of <paramref name="connection"/> in <paramref name="transaction"/> with its parameters (null values are bound later by name).</summary>
    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static void Filter(StringBuilder sql, SqliteCommand command, string column, string parameter, string? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND ").Append(column).Append(" = ").Append(parameter);
        command.Parameters.AddWithValue(parameter, value);
    }

    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _db.EnsureInitializedAsync(cancellationToken);
            await using var connection = await _db.OpenAsync(cancellationToken);
            return await work(connection);
        }
        catch (SqliteException ex)
        {
            LogUnavailable(_logger, ex.SqliteErrorCode, ex);
            throw new StoreUnavailableException($"The decision log could not complete the operation (SQLite error {ex.SqliteErrorCode}).", ex);
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "SQLite decision log operation failed (SQLite error {ErrorCode})")]
    private static partial void LogUnavailable(ILogger logger, int errorCode, Exception exception);
}
