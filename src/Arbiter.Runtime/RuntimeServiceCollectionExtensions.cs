using Arbiter.Runtime.Agents;
using Arbiter.Runtime.Audit;
using Arbiter.Runtime.Decisions;
using Arbiter.Runtime.Policies;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Runtime.Telemetry;
using Arbiter.Runtime.Tenants;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Arbiter.Runtime;

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// What every host runs: the store chosen by <c>Store:Kind</c> (SQLite by default, or Cosmos DB) with its decision-log
    /// sink, the per-tenant snapshots and their refresher, deciding and recording, policy versions, tenant transfer,
    /// audit and the agent kill switch. Options are validated at start.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterRuntime(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        // Before the store: the Cosmos client takes the process's one credential.
        services.AddArbiterAzureCredential(configuration);
        services.AddOptions<SnapshotOptions>().Bind(configuration.GetSection(SnapshotOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        if (store.Kind == StoreKind.Cosmos)
        {
            services.AddCosmosDocumentStore(configuration);
            services.AddCosmosDecisionLogSink(configuration);
        }
        else
        {
            services.AddSqliteDocumentStore(configuration);
            services.AddSqliteDecisionLogSink(configuration);
        }
        services.AddMetrics();
        services.TryAddSingleton<ArbiterTelemetry>();
        services.AddHostedService<SnapshotRefresher>();
        services.AddSnapshotCheckpoints(configuration);
        services.TryAddSingleton<Decider>();
        services.TryAddSingleton<DecisionLogRecorder>();
        services.AddTenantServices();
        return builder;
    }

    /// <summary>
    /// The services over an already registered store (<see cref="Store.IDocumentStore"/>, <see cref="Store.IChangeFeed"/>)
    /// that libraries such as governance need: snapshots, policy versions, tenant transfer, audit, the kill switch.
    /// </summary>
    public static IServiceCollection AddTenantServices(this IServiceCollection services)
    {
        services.AddOptions<SnapshotOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TenantSnapshots>();
        services.TryAddSingleton<PolicyVersions>();
        services.TryAddSingleton<TenantTransfer>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<AgentKillSwitch>();
        return services;
    }
}
