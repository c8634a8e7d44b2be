using Arbiter.Api.Decisions;
using Arbiter.Api.Health;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Api.Snapshots;
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
            services.AddCosmosDocumentStore(configuration);
        else
            services.AddSqliteDocumentStore(configuration);

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
        services.TryAddSingleton<IDecisionRecorder, NoDecisionRecorder>();
        services.TryAddSingleton<DecisionHandlers>();
        services.TryAddSingleton<HealthEndpoint>();
        services.TryAddSingleton<Admin.TenantTransfer>();
        services.TryAddSingleton<Admin.PolicyVersions>();
        services.TryAddSingleton<Admin.AdminHandlers>();
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
