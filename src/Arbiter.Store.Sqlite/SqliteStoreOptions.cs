using Microsoft.Extensions.Options;

namespace Arbiter.Store.Sqlite;

/// <summary>
/// The embedded store (configuration section <c>Store</c>). The default for local runs and the self-hosted server.
/// </summary>
public sealed class SqliteStoreOptions
{
    public const string SectionName = "Store";

    /// <summary>
    /// <c>Store:SqlitePath</c>: the database file (created with its folder when missing). <c>:memory:</c> or
    /// <c>:memory:NAME</c> is a shared in-memory database that lives as long as the store instance (tests only).
    /// </summary>
    public string SqlitePath { get; set; } = "";

    /// <summary><c>Store:BusyTimeout</c>: how long a write waits for another writer (this or another process) before the store reports itself unavailable.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsInMemory => SqlitePath.StartsWith(":memory:", StringComparison.Ordinal);
}

internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SqlitePath))
        {
            failures.Add("Store:SqlitePath is required (a file path, or :memory: for tests).");
        }
        else if (!options.IsInMemory && Directory.Exists(options.SqlitePath))
        {
            failures.Add($"Store:SqlitePath '{options.SqlitePath}' is a folder; give a file path.");
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("Store:BusyTimeout must be between 0 and 5 minutes.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
