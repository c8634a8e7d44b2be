using Arbiter.Governance;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Arbiter.Governance.Reviews;
using Arbiter.Runtime;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
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
    /// bound by <c>AddAzureClients</c> from the section <see cref="GovernanceQueueConnection"/> finds, with the process's
    /// one credential, encoding messages in Base64 as the Functions queue trigger expects.
    /// </summary>
    public static IServiceCollection AddArbiterGovernance(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GovernanceOptions>().Bind(configuration.GetSection(GovernanceOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GovernanceOptions>, GovernanceOptionsValidator>());
        services.AddTenantServices();
        services.TryAddSingleton<IAgentActivity, NullAgentActivity>();
        AddQueueService(services, configuration);
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

    private static void AddQueueService(IServiceCollection services, IConfiguration configuration)
    {
        services.AddArbiterAzureCredential(configuration);
        if (GovernanceQueueConnection.Find(configuration) is { } section)
        {
            services.AddAzureClients(azure => azure.AddQueueServiceClient((IConfiguration)section)
                .ConfigureOptions(options => options.MessageEncoding = QueueMessageEncoding.Base64));
            return;
        }
        // Hosts that always register governance (Functions, the CLI) fail when a review is announced, with the fix.
        var expected = GovernanceQueueConnection.Expected(configuration);
        services.TryAddSingleton<QueueServiceClient>(_ => throw new InvalidOperationException(
            $"Governance needs a storage queue: set '{expected}' (a connection string) or '{expected}:serviceUri'"));
    }
}
