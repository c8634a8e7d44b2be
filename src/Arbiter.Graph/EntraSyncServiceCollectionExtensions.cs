using Arbiter.Graph.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace Arbiter.Graph;

public static class EntraSyncServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Entra ID sync: <see cref="GraphOptions"/> (section <c>Graph</c>, validated at start-up),
    /// <see cref="GraphClientRegistry"/>, the default <see cref="GraphServiceClient"/> singleton and
    /// <see cref="EntraSyncService"/>. Needs an <c>IDocumentStore</c>; uses a registered <c>TokenCredential</c> when
    /// there is one (shared with the other Azure clients), else managed identity / client credentials from options.
    /// </summary>
    public static IServiceCollection AddEntraSync(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GraphOptions>().Bind(configuration.GetSection(GraphOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphOptions>, GraphOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GraphClientRegistry>();
        services.TryAddSingleton(sp => sp.GetRequiredService<GraphClientRegistry>().Default);
        services.TryAddSingleton<EntraSyncService>();
        return services;
    }
}
