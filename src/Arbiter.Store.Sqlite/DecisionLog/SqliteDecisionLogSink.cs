using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbiter.DecisionLog;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Sqlite.DecisionLog;

/// <summary>
/// The decision log in the embedded store's database file (<c>Store:SqlitePath</c>), table <c>decision_log</c>: the
/// filterable fields as indexed columns, the whole record as JSON in <c>body</c>. A batch is one transaction; a record
/// already present (same tenant and decision id) is left as it is, so retried batches never duplicate. Records older
/// than <c>DecisionLog:RetentionDays</c> are deleted by <see cref="PruneAsync"/> (run periodically by the retention service).
/// Partition buckets do not apply here: one file, one writer; the indexes lead with the tenant.
/// </summary>
public sealed partial class SqliteDecisionLogSink : IDecisionLogSink, IDecisionLogRetention, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS decision_log (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            time INTEGER NOT NULL,
            subject_type TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            agent_id TEXT,
            action TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            allowed INTEGER NOT NULL,
            body TEXT NOT NULL,
            UNIQUE (tenant, id)
        );
        CREATE INDEX IF NOT EXISTS decision_log_by_time ON decision_log (tenant, time, id);
        CREATE INDEX IF NOT EXISTS decision_log_by_agent ON decision_log (tenant, agent_id, time, id);
        CREATE INDEX IF NOT EXISTS decision_log_by_subject ON decision_log (tenant, subject_id, time, id);
        CREATE INDEX IF NOT EXISTS decision_log_by_resource ON decision_log (tenant, resource_id, time, id);
        CREATE INDEX IF NOT EXISTS decision_log_expiry ON decision_log (time);
        """;

    private const int PruneChunk = 10_000;

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;
    private readonly DecisionLogOptions _options;
    private readonly ILogger<SqliteDecisionLogSink> _logger;

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

        await RunAsync(async connection =>
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO decision_log (tenant, id, time, subject_type, subject_id, agent_id, action, resource_type, resource_id, allowed, body)
                VALUES ($tenant, $id, $time, $subjectType, $subjectId, $agentId, $action, $resourceType, $resourceId, $allowed, $body)
                ON CONFLICT (tenant, id) DO NOTHING
                """;
            var tenant = command.Parameters.Add("$tenant", SqliteType.Text);
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var time = command.Parameters.Add("$time", SqliteType.Integer);
            var subjectType = command.Parameters.Add("$subjectType", SqliteType.Text);
            var subjectId = command.Parameters.Add("$subjectId", SqliteType.Text);
            var agentId = command.Parameters.Add("$agentId", SqliteType.Text);
            var action = command.Parameters.Add("$action", SqliteType.Text);
            var resourceType = command.Parameters.Add("$resourceType", SqliteType.Text);
            var resourceId = command.Parameters.Add("$resourceId", SqliteType.Text);
            var allowed = command.Parameters.Add("$allowed", SqliteType.Integer);
            var body = command.Parameters.Add("$body", SqliteType.Text);
            command.Prepare();
            foreach (var r in records)
            {
                tenant.Value = r.TenantId;
                id.Value = r.Id;
                time.Value = r.Time.UtcTicks;
                subjectType.Value = r.SubjectType;
                subjectId.Value = r.SubjectId;
                agentId.Value = (object?)r.AgentId ?? DBNull.Value;
                action.Value = r.Action;
                resourceType.Value = r.ResourceType;
                resourceId.Value = r.ResourceId;
                allowed.Value = r.Allowed ? 1 : 0;
                body.Value = JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            var sql = new StringBuilder("SELECT body FROM decision_log WHERE tenant = $tenant AND time >= $from AND time < $to");
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$from", query.From.UtcTicks);
            command.Parameters.AddWithValue("$to", query.To.UtcTicks);
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
            command.Parameters.AddWithValue("$take", pageSize + 1);
            command.CommandText = sql.ToString();
            var items = new List<DecisionRecord>(Math.Min(pageSize + 1, 1024));
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add(JsonSerializer.Deserialize(reader.GetString(0), DecisionLogJsonContext.Default.DecisionRecord)!);
                }
            }

            string? next = null;
            if (items.Count > pageSize)
            {
                items.RemoveRange(pageSize, items.Count - pageSize);
                next = DecisionLogCursor.After(items[^1]).Encode();
            }

            return new DecisionLogPage(items, next);
        }, cancellationToken);
    }

    /// <summary>Deletes records older than the retention (by the injected clock), in chunks so writers are never held up long.</summary>
    public Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = (_time.GetUtcNow() - _options.Retention).UtcTicks;
        return RunAsync(async connection =>
        {
            long total = 0;
            while (true)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM decision_log WHERE rowid IN (SELECT rowid FROM decision_log WHERE time < $cutoff LIMIT $chunk)";
                command.Parameters.AddWithValue("$cutoff", cutoff);
                command.Parameters.AddWithValue("$chunk", PruneChunk);
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
                if (deleted < PruneChunk)
                {
                    return total;
                }
            }
        }, cancellationToken);
    }

    /// <summary>Rows in the table and distinct (tenant, id) pairs: the no-loss check compares both with what was logged.</summary>
    public Task<(long Rows, long DistinctIds)> CountAsync(CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT DISTINCT tenant, id FROM decision_log)) FROM decision_log";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }, cancellationToken);

    public void Dispose()
    {
        _db.Dispose();
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
