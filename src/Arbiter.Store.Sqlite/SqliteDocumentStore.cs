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
            var found = await ReadOneAsync(connection, tenantId, kind, id, cancellationToken);
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

    public async Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        if (body.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The document body is required.", nameof(body));
        }

        var results = await WriteAsync(tenantId, [DocumentWrite.Put(kind, id, body, ifMatch)], cancellationToken);
        return results[0].GetDocumentOrThrow();
    }

    public async Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        var results = await WriteAsync(tenantId, [DocumentWrite.Delete(kind, id, ifMatch)], cancellationToken);
        return results[0].GetDocumentOrThrow();
    }

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        CheckKey(tenantId, kind, "-");
        foreach (var id in ids)
        {
            ArgumentException.ThrowIfNullOrEmpty(id);
        }

        if (ids.Count == 0)
        {
            return Task.FromResult<IReadOnlyDictionary<string, StoredDocument>>(new Dictionary<string, StoredDocument>(StringComparer.Ordinal));
        }

        return RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            // The ids travel as one JSON array parameter: one statement whatever their number, no SQL built from text.
            command.CommandText = """
                SELECT tenant, kind, id, body, etag, deleted, updated_at FROM documents
                WHERE tenant = $tenant AND kind = $kind AND id IN (SELECT value FROM json_each($ids)) AND ($includeDeleted = 1 OR deleted = 0)
                """;
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$ids", JsonArrayOf(ids));
            command.Parameters.AddWithValue("$includeDeleted", includeDeleted ? 1 : 0);
            var found = new Dictionary<string, StoredDocument>(ids.Count, StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var document = ReadDocument(reader);
                found[document.Id] = document;
            }

            return (IReadOnlyDictionary<string, StoredDocument>)found;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        foreach (var write in writes)
        {
            write.Validate();
        }

        return WriteAsync(tenantId, writes, cancellationToken);
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

    /// <summary>
    /// Every put and delete goes through here, a single one as a batch of one: one <c>BEGIN IMMEDIATE</c> transaction,
    /// per write the current row read, the ETag rule checked (<see cref="Refusal"/>) and the row and its change-log entry
    /// written; refused writes leave nothing behind and do not stop the others.
    /// </summary>
    private Task<IReadOnlyList<DocumentWriteResult>> WriteAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<DocumentWriteResult>>([]);
        }

        return RunAsync(async connection =>
        {
            // BEGIN IMMEDIATE takes the write lock up front: the reads below and the writes are one atomic step for every
            // writer of this file, in this process or another.
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using var read = connection.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = "SELECT etag, deleted, body FROM documents WHERE tenant = $tenant AND kind = $kind AND id = $id";
            var readTenant = read.Parameters.Add("$tenant", SqliteType.Text);
            var readKind = read.Parameters.Add("$kind", SqliteType.Text);
            var readId = read.Parameters.Add("$id", SqliteType.Text);
            readTenant.Value = tenantId;

            await using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO documents (tenant, kind, id, body, etag, deleted, updated_at)
                VALUES ($tenant, $kind, $id, $body, $etag, $deleted, $updatedAt)
                ON CONFLICT (tenant, kind, id) DO UPDATE SET
                    body = excluded.body, etag = excluded.etag, deleted = excluded.deleted, updated_at = excluded.updated_at;
                INSERT INTO changes (tenant, kind, id) VALUES ($tenant, $kind, $id);
                """;
            var tenant = upsert.Parameters.Add("$tenant", SqliteType.Text);
            var kind = upsert.Parameters.Add("$kind", SqliteType.Text);
            var id = upsert.Parameters.Add("$id", SqliteType.Text);
            var body = upsert.Parameters.Add("$body", SqliteType.Text);
            var etag = upsert.Parameters.Add("$etag", SqliteType.Text);
            var deleted = upsert.Parameters.Add("$deleted", SqliteType.Integer);
            var updatedAt = upsert.Parameters.Add("$updatedAt", SqliteType.Integer);
            tenant.Value = tenantId;

            var results = new DocumentWriteResult[writes.Count];
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                readKind.Value = write.Kind;
                readId.Value = write.Id;
                Existing? existing = null;
                await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
                {
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        existing = new Existing(reader.GetString(0), reader.GetInt64(1) != 0, reader.GetString(2));
                    }
                }

                if (Refusal(write, existing) is { } refused)
                {
                    results[i] = refused;
                    continue;
                }

                // The tombstone keeps the last body so change consumers can tell what went away.
                var json = write.Body is { } newBody ? newBody.GetRawText() : existing!.Body;
                var newETag = Guid.NewGuid().ToString("N");
                var now = new DateTimeOffset(_time.GetUtcNow().UtcTicks, TimeSpan.Zero);
                kind.Value = write.Kind;
                id.Value = write.Id;
                body.Value = json;
                etag.Value = newETag;
                deleted.Value = write.IsDelete ? 1 : 0;
                updatedAt.Value = now.UtcTicks;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
                var stored = write.Body is { } given ? given.Clone() : ParseBody(json);
                results[i] = DocumentWriteResult.Written(new StoredDocument(tenantId, write.Kind, write.Id, stored, newETag, write.IsDelete, now));
            }

            await transaction.CommitAsync(cancellationToken);
            return (IReadOnlyList<DocumentWriteResult>)results;
        }, cancellationToken);
    }

    /// <summary>The state of a row a write is checked against.</summary>
    private sealed record Existing(string ETag, bool Deleted, string Body);

    /// <summary>
    /// The ETag rule of one write against the current row. Put: null = create only (a live row → conflict; a tombstone may
    /// be overwritten), "*" = unconditional, else the ETag must match. Delete: a missing or tombstoned row → not found,
    /// else "*" or a matching ETag.
    /// </summary>
    private static DocumentWriteResult? Refusal(DocumentWrite write, Existing? existing)
    {
        if (write.IsDelete)
        {
            if (existing is null || existing.Deleted)
            {
                return DocumentWriteResult.Refused(DocumentWriteFailure.NotFound, $"No {write.Kind} with id '{write.Id}'.");
            }
        }
        else if (write.IfMatch is null)
        {
            return existing is { Deleted: false }
                ? DocumentWriteResult.Refused(DocumentWriteFailure.Conflict, $"A {write.Kind} with id '{write.Id}' already exists.")
                : null;
        }

        return write.IfMatch != "*" && (existing is null || !string.Equals(existing.ETag, write.IfMatch, StringComparison.Ordinal))
            ? DocumentWriteResult.Refused(DocumentWriteFailure.PreconditionFailed, $"The {write.Kind} '{write.Id}' has changed since it was read (ETag mismatch).")
            : null;
    }

    private static string JsonArrayOf(IEnumerable<string> values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task<StoredDocument?> ReadOneAsync(SqliteConnection connection, string tenantId, string kind, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
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
