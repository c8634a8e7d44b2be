using Arbiter.Api.Decisions;
using Arbiter.Api.Health;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Api.Snapshots;
using Arbiter.Api.Telemetry;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Arbiter.Graph;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// The decision API and what it stands on: options (validated at start), the store chosen by <c>Store:Kind</c>,
    /// caller authentication, the per-tenant snapshots and their refresher, and the shared HTTP handlers.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterDecisions(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<ArbiterOptions>().Bind(configuration.GetSection(ArbiterOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
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
        services.TryAddSingleton<DecisionLogRecorder>();
        services.TryAddSingleton<DecisionLogHandlers>();

        services.TryAddSingleton<BaseConfigurationManager>(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            var metadata = auth.MetadataAddress ?? $"{auth.Authority?.TrimEnd('/')}/.well-known/openid-configuration";
            return new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = !Uri.TryCreate(metadata, UriKind.Absolute, out var u) || !u.IsLoopback });
        });
        services.TryAddSingleton<CallerAuthenticator>();
        services.TryAddSingleton<JsonBody>();
        services.TryAddSingleton<TenantSnapshots>();
        services.AddHostedService<SnapshotRefresher>();
        services.TryAddSingleton<DecisionHandlers>();
        services.TryAddSingleton<HealthEndpoint>();
        services.TryAddSingleton<Admin.TenantTransfer>();
        services.TryAddSingleton<Admin.PolicyVersions>();
        services.TryAddSingleton<Admin.AdminHandlers>();
        return builder;
    }

    /// <summary>
    /// OpenTelemetry: traces (Arbiter decisions, ASP.NET Core requests on the self-hosted server) and metrics (decisions,
    /// latency, snapshot age, decision-log queue and losses). Exporters: OTLP when <c>OpenTelemetry:OtlpEndpoint</c> is set,
    /// Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Entra ID auth with the shared credential).
    /// </summary>
    public static IHostApplicationBuilder AddArbiterTelemetry(this IHostApplicationBuilder builder, bool aspNetCore)
    {
        var otlp = builder.Configuration["OpenTelemetry:OtlpEndpoint"];
        var appInsights = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("arbiter"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ArbiterTelemetry.SourceName);
                if (aspNetCore)
                    tracing.AddAspNetCoreInstrumentation();
                if (!string.IsNullOrWhiteSpace(otlp))
                    tracing.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                if (!string.IsNullOrWhiteSpace(appInsights))
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
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

    /// <summary>Entra ID sync through Microsoft Graph: the sync service, its schedule options and the run-now/status handlers.</summary>
    public static IHostApplicationBuilder AddArbiterSync(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<Sync.SyncOptions>().Bind(builder.Configuration.GetSection(Sync.SyncOptions.Section)).ValidateOnStart();
        builder.Services.AddEntraSync(builder.Configuration);
        builder.Services.TryAddSingleton<Sync.SyncHandlers>();
        return builder;
    }
}
