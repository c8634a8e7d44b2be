using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Arbiter.Store.Sqlite;

/// <summary>
/// One SQLite database as Arbiter uses it, shared by the document store and the decision-log sink (each with its own
/// schema over the same file): the connection string from <c>Store:*</c> (a file, or a named shared in-memory database
/// kept alive by an anchor connection), connections opened with the busy timeout and full synchronous writes, and the
/// schema applied once (WAL: readers never block the writer, and a committed write survives a crash).
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly string _schema;
    private readonly int _busyTimeoutMs;
    private readonly bool _inMemory;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    // An in-memory database lives only while a connection to it is open: this one holds it for the owner's lifetime.
    private SqliteConnection? _memoryAnchor;
    private volatile bool _initialized;

    public SqliteDatabase(SqliteStoreOptions options, string schema)
    {
        _schema = schema;
        _busyTimeoutMs = (int)options.BusyTimeout.TotalMilliseconds;
        _inMemory = options.IsInMemory;
        var builder = new SqliteConnectionStringBuilder
        {
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        if (_inMemory)
        {
            // Named, so a document store and a sink given the same ":memory:NAME" share one database (tests).
            var name = options.SqlitePath.Length > ":memory:".Length ? options.SqlitePath[":memory:".Length..] : Guid.NewGuid().ToString("N");
            builder.DataSource = "arbiter-" + name;
            builder.Mode = SqliteOpenMode.Memory;
            builder.Cache = SqliteCacheMode.Shared;
        }
        else
        {
            var full = Path.GetFullPath(options.SqlitePath);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            builder.DataSource = full;
            builder.Mode = SqliteOpenMode.ReadWriteCreate;
        }
        _connectionString = builder.ToString();
        Location = _inMemory ? options.SqlitePath : builder.DataSource;
    }

    /// <summary>Where the data lives (file path or the in-memory name), for logs and health reports.</summary>
    public string Location { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMs}; PRAGMA synchronous = FULL;");
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Applies the schema the first time; true when this call did it.</summary>
    public async Task<bool> EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
            return false;
        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
                return false;
            var connection = await OpenAsync(cancellationToken);
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA journal_mode = WAL;" + _schema;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            finally
            {
                if (_inMemory && _memoryAnchor is null)
                    _memoryAnchor = connection;
                else
                    await connection.DisposeAsync();
            }
            _initialized = true;
            return true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    public void Dispose()
    {
        _memoryAnchor?.Dispose();
        _initLock.Dispose();
        // Release pooled handles so the file can be moved or deleted once the owner is gone.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
