using Arbiter.Runtime.Agents;
using Arbiter.Runtime.Audit;
using Arbiter.Runtime.Decisions;
using Arbiter.Runtime.Policies;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Telemetry;
using Arbiter.Runtime.Tenants;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Sqlite;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

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

    /// <summary>
    /// OpenTelemetry: traces (Arbiter decisions, plus whatever <paramref name="tracing"/> adds — the self-hosted server
    /// adds its ASP.NET Core requests) and metrics (decisions, latency, snapshot age, decision-log queue and losses).
    /// Exporters: OTLP when <c>OpenTelemetry:OtlpEndpoint</c> is set, Azure Monitor when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterTelemetry(this IHostApplicationBuilder builder, Action<TracerProviderBuilder>? tracing = null)
    {
        var otlp = builder.Configuration["OpenTelemetry:OtlpEndpoint"];
        var appInsights = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("arbiter"))
            .WithTracing(t =>
            {
                t.AddSource(ArbiterTelemetry.SourceName);
                tracing?.Invoke(t);
                if (!string.IsNullOrWhiteSpace(otlp))
                    t.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                if (!string.IsNullOrWhiteSpace(appInsights))
                    t.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ArbiterTelemetry.MeterName, "Arbiter.DecisionLog");
                if (!string.IsNullOrWhiteSpace(otlp))
                    metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                if (!string.IsNullOrWhiteSpace(appInsights))
                    metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = appInsights);
            });
        return builder;
    }
}
