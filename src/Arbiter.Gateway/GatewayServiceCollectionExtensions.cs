using Arbiter.Client;
using Arbiter.Gateway;
using Azure.Core;
using Azure.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Yarp.ReverseProxy.Transforms;

namespace Microsoft.Extensions.DependencyInjection;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The MCP gateway: callers' Entra tokens (audience = the gateway), Arbiter through <c>Arbiter.Client</c> (section
    /// <c>Arbiter:Client</c>), and YARP forwarding to each upstream with the gateway's own token, never the caller's.
    /// </summary>
    public static IServiceCollection AddArbiterGateway(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(GatewayOptions.Section);
        services.AddOptions<GatewayOptions>().Bind(section)
            .PostConfigure(options =>
            {
                foreach (var (name, upstream) in options.Upstreams)
                {
                    if (string.IsNullOrEmpty(upstream.Arbiter.ServerId))
                        upstream.Arbiter.ServerId = name;
                }
            })
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddArbiterClient(configuration.GetSection("Arbiter:Client"));
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<UpstreamTokens>();
        services.AddSingleton<McpResponseRewriter>();
        services.AddSingleton<ToolPinCache>();
        // Tool pins go to the same Arbiter with the same credential and time budget as the decisions.
        services.AddHttpClient<ToolPinClient>((provider, http) =>
        {
            var client = provider.GetRequiredService<IOptions<ArbiterClientOptions>>().Value;
            var endpoint = client.Endpoint!.AbsoluteUri;
            http.BaseAddress = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/");
            http.Timeout = client.Timeout;
            http.MaxResponseContentBufferSize = 4 * 1024 * 1024;
        }).AddHttpMessageHandler(provider =>
        {
            var client = provider.GetRequiredService<IOptions<ArbiterClientOptions>>().Value;
            return string.IsNullOrWhiteSpace(client.Scope)
                ? new PassThroughHandler()
                : new ArbiterCredentialHandler(provider.GetRequiredService<TokenCredential>(), client.Scope, provider.GetRequiredService<TimeProvider>());
        });

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<GatewayOptions>>((jwt, gateway) =>
        {
            jwt.Authority = gateway.Value.Authority?.ToString().TrimEnd('/');
            jwt.RequireHttpsMetadata = gateway.Value.Authority?.IsLoopback != true;
            // The caller mapping reads Entra's claim names (oid, azp, idtyp) as they are in the token.
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters { ValidAudience = gateway.Value.Audience };
        });
        services.AddAuthorization();

        // Routes come from the options as bound; validation runs at start, before the first request is proxied.
        var bound = section.Get<GatewayOptions>() ?? new GatewayOptions();
        var (routes, clusters) = GatewayProxyConfig.Build(ValidUpstreams(bound));
        services.AddReverseProxy()
            .LoadFromMemory(routes, clusters)
            .AddTransforms(builder =>
            {
                if (builder.Route.Metadata?.GetValueOrDefault(McpGatewayMiddleware.UpstreamMetadata) is not { } name || !bound.Upstreams.TryGetValue(name, out var upstream))
                    return;
                builder.AddPathSet(upstream.Url!.AbsolutePath);
                builder.AddQueryRemoveKey("access_token");
                // The caller's token has the gateway as audience; MCP forbids passing it through to another one.
                builder.AddRequestHeaderRemove("Authorization");
                // Answers are read to be filtered and redacted: they must arrive uncompressed.
                builder.AddRequestHeaderRemove("Accept-Encoding");
                var scope = upstream.Scope;
                if (!string.IsNullOrWhiteSpace(scope))
                {
                    builder.AddRequestTransform(async transform =>
                    {
                        var tokens = transform.HttpContext.RequestServices.GetRequiredService<UpstreamTokens>();
                        transform.ProxyRequest.Headers.Authorization = new("Bearer", await tokens.GetAsync(scope, transform.HttpContext.RequestAborted));
                    });
                }
                builder.AddResponseTransform(transform => transform.HttpContext.RequestServices.GetRequiredService<McpResponseRewriter>().TransformAsync(transform));
            });
        return services;
    }

    /// <summary>No credential in local development (Arbiter in Development mode on loopback).</summary>
    private sealed class PassThroughHandler : DelegatingHandler;

    /// <summary>The upstreams with a usable URL (the rest fail validation at start; routes are built before it runs).</summary>
    private static GatewayOptions ValidUpstreams(GatewayOptions options)
    {
        var valid = new GatewayOptions();
        foreach (var (name, upstream) in options.Upstreams)
        {
            if (upstream.Url is { IsAbsoluteUri: true })
                valid.Upstreams[name] = upstream;
        }
        return valid;
    }
}
