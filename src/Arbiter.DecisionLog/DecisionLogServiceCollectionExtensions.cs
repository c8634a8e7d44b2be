using Arbiter.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class DecisionLogServiceCollectionExtensions
{
    /// <summary>
    /// The decision log: <see cref="DecisionLogger"/> (what the decision path calls), the flusher and the retention
    /// service (hosted services), and <see cref="IDecisionLogQuery"/> for the admin API. Options from <c>DecisionLog</c>,
    /// validated at start-up. A sink must be registered too: <c>AddSqliteDecisionLogSink</c> or <c>AddCosmosDecisionLogSink</c>.
    /// </summary>
    public static IServiceCollection AddDecisionLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DecisionLogOptions>()
            .Bind(configuration.GetSection(DecisionLogOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DecisionLogOptions>, DecisionLogOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DecisionLogger>();
        services.TryAddSingleton<IDecisionLogQuery, DecisionLogReader>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, DecisionLogFlusher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, DecisionLogRetentionService>());
        return services;
    }

    /// <summary>
    /// <see cref="AddDecisionLog(IServiceCollection, IConfiguration)"/> for a sink that writes to the store configured by
    /// <typeparamref name="TStoreOptions"/>: an unset <c>DecisionLog:SpillDirectory</c> becomes that store's own
    /// (<see cref="DecisionLogOptions.SpillDirectoryFor"/> of <paramref name="storeIdentity"/>).
    /// </summary>
    public static IServiceCollection AddDecisionLog<TStoreOptions>(this IServiceCollection services, IConfiguration configuration, Func<TStoreOptions, string> storeIdentity)
        where TStoreOptions : class
    {
        services.AddDecisionLog(configuration);
        services.AddOptions<DecisionLogOptions>().PostConfigure<IOptions<TStoreOptions>>((options, store) =>
        {
            if (string.IsNullOrWhiteSpace(options.SpillDirectory))
            {
                options.SpillDirectory = DecisionLogOptions.SpillDirectoryFor(storeIdentity(store.Value));
            }
        });
        return services;
    }
}
