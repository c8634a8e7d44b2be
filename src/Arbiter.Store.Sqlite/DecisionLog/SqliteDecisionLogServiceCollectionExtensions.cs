using Arbiter.DecisionLog;
using Arbiter.Store.Sqlite;
using Arbiter.Store.Sqlite.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class SqliteDecisionLogServiceCollectionExtensions
{
    /// <summary>
    /// The decision log on SQLite, in the embedded store's file (<c>Store:SqlitePath</c>): registers the embedded store's
    /// options (and the store, if not already), the decision log (<see cref="DecisionLogServiceCollectionExtensions.AddDecisionLog"/>)
    /// and <see cref="SqliteDecisionLogSink"/> as its sink, pruned every <c>DecisionLog:PruneInterval</c>.
    /// </summary>
    public static IServiceCollection AddSqliteDecisionLogSink(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSqliteDocumentStore(configuration);
        // The spill belongs to this database file; an in-memory database dies with the process, and so may its spill.
        services.AddDecisionLog<SqliteStoreOptions>(configuration, store =>
            store.SqlitePath.StartsWith(":memory:", StringComparison.Ordinal) || store.SqlitePath.Length == 0
                ? $"sqlite-memory:{Environment.ProcessId}:{Guid.NewGuid():N}"
                : "sqlite:" + Path.GetFullPath(store.SqlitePath));
        services.TryAddSingleton<SqliteDecisionLogSink>();
        services.TryAddSingleton<IDecisionLogSink>(sp => sp.GetRequiredService<SqliteDecisionLogSink>());
        return services;
    }
}
