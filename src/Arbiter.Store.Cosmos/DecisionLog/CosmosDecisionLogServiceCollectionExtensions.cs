using Arbiter.DecisionLog;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Cosmos.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class CosmosDecisionLogServiceCollectionExtensions
{
    /// <summary>
    /// The decision log on Cosmos DB (<c>Cosmos:DecisionsContainer</c>): reuses the store's <c>CosmosClient</c> singleton
    /// and options (registering the Cosmos store if not already), the decision log
    /// (<see cref="DecisionLogServiceCollectionExtensions.AddDecisionLog"/>) and <see cref="CosmosDecisionLogSink"/> as its sink.
    /// </summary>
    public static IServiceCollection AddCosmosDecisionLogSink(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCosmosDocumentStore(configuration);
        // The spill belongs to this account's decisions container.
        services.AddDecisionLog<CosmosStoreOptions>(configuration, c =>
            $"cosmos:{c.AccountEndpoint.TrimEnd('/').ToLowerInvariant()}/{c.Database}/{c.DecisionsContainer}");
        services.TryAddSingleton<CosmosDecisionLogSink>();
        services.TryAddSingleton<IDecisionLogSink>(sp => sp.GetRequiredService<CosmosDecisionLogSink>());
        return services;
    }
}
