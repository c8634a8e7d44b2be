using Arbiter.Api.Admin;
using Arbiter.Api.Decisions;
using Arbiter.Api.Governance;
using Arbiter.Api.Health;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Graph;
using Arbiter.Runtime;
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
    /// The HTTP API both hosts serve, over the runtime (<see cref="RuntimeServiceCollectionExtensions.AddArbiterRuntime"/>):
    /// its options (validated at start), caller authentication, the edge pipeline and the shared handlers.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterApi(this IHostApplicationBuilder builder)
    {
        builder.AddArbiterRuntime();
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<ArbiterOptions>().Bind(configuration.GetSection(ArbiterOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ArbiterOptions>, ArbiterOptionsValidator>();
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton<BaseConfigurationManager>(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            // Empty counts as unset: app settings cannot be null.
            var metadata = string.IsNullOrWhiteSpace(auth.MetadataAddress) ? $"{auth.Authority?.TrimEnd('/')}/.well-known/openid-configuration" : auth.MetadataAddress;
            return new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = !Uri.TryCreate(metadata, UriKind.Absolute, out var u) || !u.IsLoopback });
        });
        services.TryAddSingleton<CallerAuthenticator>();
        services.TryAddSingleton<JsonBody>();
        services.TryAddSingleton<ArbiterEdge>();
        services.TryAddSingleton<DecisionHandlers>();
        services.TryAddSingleton<DecisionLogHandlers>();
        services.TryAddSingleton<DecisionLogLossWatch>();
        services.TryAddSingleton<HealthEndpoint>();
        services.TryAddSingleton<AdminDocuments>();
        services.TryAddSingleton<PolicyHandlers>();
        services.TryAddSingleton<DirectoryHandlers>();
        services.TryAddSingleton<AgentHandlers>();
        services.TryAddSingleton<WhatIfHandler>();
        services.TryAddSingleton<ReplayHandler>();
        services.TryAddSingleton<Arbiter.Api.Schemas.SchemaHandler>();
        services.TryAddSingleton<TenantHandlers>();
        services.TryAddSingleton<Arbiter.Governance.Drift.ToolDefinitionPins>();
        services.TryAddSingleton<ToolDefinitionHandlers>();
        return builder;
    }

    /// <summary>Drift detection and recertification (<c>AddArbiterGovernance</c>) and its admin routes' handlers.</summary>
    public static IHostApplicationBuilder AddArbiterGovernanceApi(this IHostApplicationBuilder builder)
    {
        builder.AddArbiterGovernance();
        builder.Services.TryAddSingleton<GovernanceHandlers>();
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
