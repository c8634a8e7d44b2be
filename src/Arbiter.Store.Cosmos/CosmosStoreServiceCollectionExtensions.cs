using Arbiter.Store;
using Arbiter.Store.Cosmos;
using Azure.Core;
using Azure.Identity;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class CosmosStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Cosmos DB store as <see cref="IDocumentStore"/> (<see cref="CosmosDocumentStore"/>) and
    /// <see cref="IChangeFeed"/> (<see cref="CosmosChangeFeed"/>), singletons over one <see cref="CosmosContainers"/>, a shared
    /// <see cref="CosmosClient"/> singleton and a shared <see cref="TokenCredential"/> (<see cref="DefaultAzureCredential"/>
    /// unless one is registered already). Options from <c>Cosmos</c>, validated at start-up.
    /// </summary>
    public static IServiceCollection AddCosmosDocumentStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CosmosStoreOptions>()
            .Bind(configuration.GetSection(CosmosStoreOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CosmosStoreOptions>, CosmosStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.TryAddSingleton(sp => CosmosClientFactory.Create(
            sp.GetRequiredService<IOptions<CosmosStoreOptions>>().Value, () => sp.GetRequiredService<TokenCredential>()));
        services.TryAddSingleton<CosmosContainers>();
        services.TryAddSingleton<CosmosDocumentStore>();
        services.TryAddSingleton<CosmosChangeFeed>();
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<CosmosDocumentStore>());
        services.TryAddSingleton<IChangeFeed>(sp => sp.GetRequiredService<CosmosChangeFeed>());
        return services;
    }
}
