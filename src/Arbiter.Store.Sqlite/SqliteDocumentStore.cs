using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Sqlite;

/// <summary>
/// The embedded store: one <c>documents</c> table keyed (tenant, kind, id) and an ordered <c>changes</c> log written in
/// the same transaction as every put and delete; the change-feed cursor is the log's sequence number.
/// Writes run in <c>BEGIN IMMEDIATE</c> transactions, so the ETag check and the write are atomic across threads and
/// across processes sharing the file (WAL mode, busy timeout).
/// </summary>
public sealed partial class SqliteDocumentStore : IDocumentStore, IChangeFeed, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS documents (
            tenant TEXT NOT NULL,
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            etag TEXT NOT NULL,
            deleted INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant, kind, id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant TEXT NOT NULL,
            kind TEXT NOT NULL,
            id TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS changes_by_tenant ON changes (tenant, seq);
        """;

    private readonly SqliteDatabase _db;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteDocumentStore> _logger;

    public SqliteDocumentStore(IOptions<SqliteStoreOptions> options, TimeProvider time, ILogger<SqliteDocumentStore> logger)
    {
        var o = options.Value;
        _time = time;
        _logger = logger;
        _db = new SqliteDatabase(o, Schema);
    }

    /// <summary>Where the data lives (file path or the in-memory name), for health reports.</summary>
    public string Location => _db.Location;

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        return RunAsync(async connection =>
        {
            var found = await ReadOneAsync(connection, null, tenantId, kind, id, cancellationToken);
            return found is null || (found.Deleted && !includeDeleted) ? null : found;
        }, cancellationToken);
    }

    public Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, "-");
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var after = DecodeContinuation(continuation);
        return RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT tenant, kind, id, body, etag, deleted, updated_at FROM documents
                WHERE tenant = $tenant AND kind = $kind AND id > $after AND ($includeDeleted = 1 OR deleted = 0)
                ORDER BY id LIMIT $take
                """;
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$includeDeleted", includeDeleted ? 1 : 0);
            command.Parameters.AddWithValue("$take", limit + 1);
            var items = new List<StoredDocument>(Math.Min(limit + 1, 1024));
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add(ReadDocument(reader));
                }
            }

            string? next = null;
            if (items.Count > limit)
            {
                items.RemoveAt(items.Count - 1);
                next = EncodeContinuation(items[^1].Id);
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

        var json = body.GetRawText();
        return WriteAsync(tenantId, kind, id, existing =>
        {
            if (ifMatch is null)
            {
                if (existing is { Deleted: false })
                {
                    throw new ConflictException($"A {kind} with id '{id}' already exists.");
                }
            }
            else if (ifMatch != "*" && (existing is null || !string.Equals(existing.ETag, ifMatch, StringComparison.Ordinal)))
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }

            return (json, false);
        }, cancellationToken);
    }

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return WriteAsync(tenantId, kind, id, existing =>
        {
            if (existing is null || existing.Deleted)
            {
                throw new NotFoundException($"No {kind} with id '{id}'.");
            }

            if (ifMatch != "*" && !string.Equals(existing.ETag, ifMatch, StringComparison.Ordinal))
            {
                throw new PreconditionFailedException($"The {kind} '{id}' has changed since it was read (ETag mismatch).");
            }

            // The tombstone keeps the last body so change consumers can tell what went away.
            return (existing.Body.GetRawText(), true);
        }, cancellationToken);
    }

    public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            // Sequence numbers are global; a global maximum is a valid "now" for every tenant.
            command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM changes";
            var max = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            return max.ToString(CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
        {
            throw new ArgumentException("Not a cursor of this store.", nameof(cursor));
        }

        return RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            // One statement, so the log and the document states come from one consistent snapshot.
            command.CommandText = """
                SELECT c.seq, d.tenant, d.kind, d.id, d.body, d.etag, d.deleted, d.updated_at
                FROM changes c JOIN documents d ON d.tenant = c.tenant AND d.kind = c.kind AND d.id = c.id
                WHERE c.tenant = $tenant AND c.seq > $after
                ORDER BY c.seq LIMIT $take
                """;
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$take", maxItems);
            var rows = new List<(long Seq, StoredDocument Document)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetInt64(0), ReadDocument(reader, 1)));
                }
            }

            if (rows.Count == 0)
            {
                return new ChangeBatch([], cursor);
            }

            // Every row carries the document's current state: deliver each document once, at its last position.
            var lastPosition = new Dictionary<(string Kind, string Id), int>();
            for (var i = 0; i < rows.Count; i++)
            {
                lastPosition[(rows[i].Document.Kind, rows[i].Document.Id)] = i;
            }

            var changes = new List<StoredDocument>(lastPosition.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                if (lastPosition[(rows[i].Document.Kind, rows[i].Document.Id)] == i)
                {
                    changes.Add(rows[i].Document);
                }
            }

            return new ChangeBatch(changes, rows[^1].Seq.ToString(CultureInfo.InvariantCulture));
        }, cancellationToken);
    }

    public void Dispose()
    {
        _db.Dispose();
    }

    private Task<StoredDocument> WriteAsync(
        string tenantId, string kind, string id,
        Func<StoredDocument?, (string Json, bool Deleted)> decide, CancellationToken cancellationToken)
    {
        return RunAsync(async connection =>
        {
            // BEGIN IMMEDIATE takes the write lock up front: the read below and the write are one atomic step for every
            // writer of this file, in this process or another.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var existing = await ReadOneAsync(connection, transaction, tenantId, kind, id, cancellationToken);
            var (json, deleted) = decide(existing);
            var etag = Guid.NewGuid().ToString("N");
            var now = _time.GetUtcNow();

            await using (var upsert = connection.CreateCommand())
            {
                upsert.Transaction = transaction;
                upsert.CommandText = """
                    INSERT INTO documents (tenant, kind, id, body, etag, deleted, updated_at)
                    VALUES ($tenant, $kind, $id, $body, $etag, $deleted, $updatedAt)
                    ON CONFLICT (tenant, kind, id) DO UPDATE SET
                        body = excluded.body, etag = excluded.etag, deleted = excluded.deleted, updated_at = excluded.updated_at;
                    INSERT INTO changes (tenant, kind, id) VALUES ($tenant, $kind, $id);
                    """;
                upsert.Parameters.AddWithValue("$tenant", tenantId);
                upsert.Parameters.AddWithValue("$kind", kind);
                upsert.Parameters.AddWithValue("$id", id);
                upsert.Parameters.AddWithValue("$body", json);
                upsert.Parameters.AddWithValue("$etag", etag);
                upsert.Parameters.AddWithValue("$deleted", deleted ? 1 : 0);
                upsert.Parameters.AddWithValue("$updatedAt", now.UtcTicks);
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new StoredDocument(tenantId, kind, id, ParseBody(json), etag, deleted, new DateTimeOffset(now.UtcTicks, TimeSpan.Zero));
        }, cancellationToken);
    }

    private static async Task<StoredDocument?> ReadOneAsync(SqliteConnection connection, SqliteTransaction? transaction, string tenantId, string kind, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT tenant, kind, id, body, etag, deleted, updated_at FROM documents
            WHERE tenant = $tenant AND kind = $kind AND id = $id
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDocument(reader) : null;
    }

    private static StoredDocument ReadDocument(SqliteDataReader reader, int offset = 0) => new(
        reader.GetString(offset),
        reader.GetString(offset + 1),
        reader.GetString(offset + 2),
        ParseBody(reader.GetString(offset + 3)),
        reader.GetString(offset + 4),
        reader.GetInt64(offset + 5) != 0,
        new DateTimeOffset(reader.GetInt64(offset + 6), TimeSpan.Zero));

    private static JsonElement ParseBody(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (await _db.EnsureInitializedAsync(cancellationToken))
                LogOpened(_logger, Location);
            await using var connection = await _db.OpenAsync(cancellationToken);
            return await work(connection);
        }
        catch (SqliteException ex)
        {
            LogUnavailable(_logger, ex.SqliteErrorCode, ex);
            throw new StoreUnavailableException($"The embedded store could not complete the operation (SQLite error {ex.SqliteErrorCode}).", ex);
        }
    }

    private static void CheckKey(string tenantId, string kind, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(id);
    }

    private static string EncodeContinuation(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastId));

    private static string DecodeContinuation(string? continuation)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            return "";
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(continuation));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("Not a continuation of this store.", nameof(continuation), ex);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Embedded store opened at {Location}")]
    private static partial void LogOpened(ILogger logger, string location);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Embedded store operation failed with SQLite error {SqliteErrorCode}")]
    private static partial void LogUnavailable(ILogger logger, int sqliteErrorCode, Exception exception);
}
