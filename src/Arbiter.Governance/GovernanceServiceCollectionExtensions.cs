using Arbiter.Governance;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Arbiter.Governance.Reviews;
using Arbiter.Runtime;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class GovernanceServiceCollectionExtensions
{
    /// <summary>Drift detection and recertification; see <see cref="AddArbiterGovernance(IServiceCollection, IConfiguration)"/>.</summary>
    public static IHostApplicationBuilder AddArbiterGovernance(this IHostApplicationBuilder builder)
    {
        // With a decision log registered (AddArbiterRuntime does it), unused-agent findings come from it.
        if (builder.Services.Any(d => d.ServiceType == typeof(Arbiter.DecisionLog.IDecisionLogQuery)))
            builder.Services.TryAddSingleton<IAgentActivity, DecisionLogActivity>();
        builder.Services.AddArbiterGovernance(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Registers <see cref="GovernanceOptions"/> (section <c>Governance</c>, validated at start-up), the detector, the
    /// review services and the queries. Needs the runtime (<c>AddArbiterRuntime</c>: store, change feed, snapshots,
    /// policy versions, audit, kill switch). Registers, unless already present: <see cref="TimeProvider.System"/>,
    /// a <see cref="NullAgentActivity"/> (replace it to enable unused-agent findings), and a <see cref="QueueServiceClient"/>
    /// from <see cref="GovernanceOptions.QueueConnection"/> (a connection string, or <c>{name}:queueServiceUri</c> /
    /// <c>{name}:accountName</c> with the registered <see cref="TokenCredential"/> or <see cref="DefaultAzureCredential"/>),
    /// encoding messages in Base64 as the Functions queue trigger expects.
    /// </summary>
    public static IServiceCollection AddArbiterGovernance(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GovernanceOptions>().Bind(configuration.GetSection(GovernanceOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GovernanceOptions>, GovernanceOptionsValidator>());
        services.AddTenantServices();
        services.TryAddSingleton<IAgentActivity, NullAgentActivity>();
        services.TryAddSingleton(sp => CreateQueueService(configuration, sp.GetRequiredService<IOptions<GovernanceOptions>>().Value.QueueConnection, sp.GetService<TokenCredential>()));
        services.TryAddSingleton<EntitlementCalculator>();
        services.TryAddSingleton<ReviewQueue>();
        services.TryAddSingleton<ReviewTasks>();
        services.TryAddSingleton<DriftDetector>();
        services.TryAddSingleton<ReviewActions>();
        services.TryAddSingleton<ReviewScheduler>();
        services.TryAddSingleton<OverdueSweeper>();
        services.TryAddSingleton<ReviewDelivery>();
        services.TryAddSingleton<GovernanceQueries>();
        return services;
    }

    private static QueueServiceClient CreateQueueService(IConfiguration configuration, string name, TokenCredential? credential)
    {
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (configuration[name] is { Length: > 0 } connectionString)
            return new QueueServiceClient(connectionString, clientOptions);
        var section = configuration.GetSection(name);
        var uri = section["queueServiceUri"] is { Length: > 0 } u ? new Uri(u)
            : section["accountName"] is { Length: > 0 } account ? new Uri($"https://{account}.queue.core.windows.net")
            : throw new InvalidOperationException($"Governance needs a storage connection: set '{name}' (connection string) or '{name}:queueServiceUri' / '{name}:accountName'");
        return new QueueServiceClient(uri, credential ?? new DefaultAzureCredential(), clientOptions);
    }
}
