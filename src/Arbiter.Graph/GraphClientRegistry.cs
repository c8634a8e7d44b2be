using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;

namespace Arbiter.Graph;

/// <summary>
/// One <see cref="GraphServiceClient"/> per Arbiter tenant, created on first use and kept for the process lifetime
/// (clients own an HttpClient; they are meant to be singletons). Tenants without a client secret share one
/// <see cref="TokenCredential"/> (managed identity / <c>DefaultAzureCredential</c>).
/// </summary>
public sealed class GraphClientRegistry : IDisposable
{
    private static readonly string[] Scopes = ["https://graph.microsoft.com/.default"];

    private readonly GraphOptions _options;
    private readonly TimeProvider _time;
    private readonly IAuthenticationProvider? _authenticationOverride;
    private readonly Lazy<TokenCredential> _sharedCredential;
    private readonly ConcurrentDictionary<string, Lazy<(GraphServiceClient Client, HttpClient Http)>> _clients = new(StringComparer.Ordinal);

    /// <param name="options">Graph settings.</param>
    /// <param name="credential">The app's shared credential; when null one is created from <paramref name="options"/>.</param>
    /// <param name="authenticationOverride">Replaces token acquisition altogether (tests send a dummy bearer to the simulator).</param>
    /// <param name="time">The clock throttling waits run on (<see cref="TimeProvider.System"/> when null).</param>
    public GraphClientRegistry(IOptions<GraphOptions> options, TokenCredential? credential = null, IAuthenticationProvider? authenticationOverride = null, TimeProvider? time = null)
    {
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _authenticationOverride = authenticationOverride;
        _sharedCredential = new Lazy<TokenCredential>(() => credential ?? CreateDefaultCredential(_options));
    }

    /// <summary>The client for one Arbiter tenant (top-level settings when the tenant has no overrides).</summary>
    public GraphServiceClient For(string tenantId) =>
        _clients.GetOrAdd(tenantId, t => new Lazy<(GraphServiceClient, HttpClient)>(() => Create(_options.For(t)))).Value.Client;

    /// <summary>The client for the top-level settings (registered as the <see cref="GraphServiceClient"/> singleton).</summary>
    public GraphServiceClient Default => For(string.Empty);

    private (GraphServiceClient, HttpClient) Create(GraphTenantOptions tenant)
    {
        var baseUrl = tenant.BaseUrl!.TrimEnd('/');
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        // Throttling (429/503/504, Retry-After) is ours, in the SDK RetryHandler's place: its waits are on the wall clock.
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i] is RetryHandler)
            {
                handlers[i] = new GraphThrottlingHandler(_options.MaxRetries, _options.RetryDelay, _time);
            }
        }

        var http = new HttpClient(GraphClientFactory.CreatePipeline(handlers, new SocketsHttpHandler
        {
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        }))
        {
            Timeout = _options.RequestTimeout,
        };

        var auth = _authenticationOverride ?? new AzureIdentityAuthenticationProvider(
            CredentialFor(tenant), allowedHosts: [new Uri(baseUrl).Host], scopes: Scopes);
        return (new GraphServiceClient(http, auth, baseUrl), http);
    }

    private TokenCredential CredentialFor(GraphTenantOptions tenant) =>
        string.IsNullOrWhiteSpace(tenant.ClientSecret)
            ? _sharedCredential.Value
            : new ClientSecretCredential(tenant.TenantId, tenant.ClientId, tenant.ClientSecret);

    private static TokenCredential CreateDefaultCredential(GraphOptions options) =>
        string.IsNullOrWhiteSpace(options.ClientSecret)
            ? new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = options.ClientId,
                TenantId = options.TenantId,
            })
            : new ClientSecretCredential(options.TenantId, options.ClientId, options.ClientSecret);

    public void Dispose()
    {
        foreach (var lazy in _clients.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Client.Dispose();
                lazy.Value.Http.Dispose();
            }
        }
    }
}
