using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class SqliteStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the embedded SQLite store as <see cref="IDocumentStore"/> and <see cref="IChangeFeed"/> (one singleton),
    /// options bound from <c>Store</c> (<c>Store:SqlitePath</c>) and validated at start-up.
    /// </summary>
    public static IServiceCollection AddSqliteDocumentStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SqliteStoreOptions>()
            .Bind(configuration.GetSection(SqliteStoreOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteDocumentStore>();
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<SqliteDocumentStore>());
        services.TryAddSingleton<IChangeFeed>(sp => sp.GetRequiredService<SqliteDocumentStore>());
        return services;
    }
}
