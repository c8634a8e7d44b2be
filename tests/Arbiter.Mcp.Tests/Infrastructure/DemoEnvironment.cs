using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Arbiter.Runtime.Decisions;
using Arbiter.Client;
using Arbiter.Samples.DevIssuer;
using Arbiter.Samples.HrServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Client;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// The demo, for real, per test: the self-hosted Arbiter server (its Program, real Kestrel, its own SQLite file seeded
/// with the demo tenant, Development auth on loopback), the development issuer, and the sample HR MCP server with
/// Arbiter.Mcp pointing at that Arbiter. Clients are the official MCP client over Streamable HTTP.
/// </summary>
public sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-mcp-tests", Guid.NewGuid().ToString("n"));
    private readonly List<McpClient> _clients = [];
    private ArbiterFactory? _arbiter;
    private WebApplication? _hr;

    public DevIssuer Issuer { get; private set; } = null!;

    /// <summary>Arbiter's admin and decision API (no token: Development mode).</summary>
    public HttpClient Arbiter { get; private set; } = null!;

    public Uri ArbiterAddress { get; private set; } = null!;

    public Uri McpEndpoint { get; private set; } = null!;

    public RecordingDecisionRecorder Decisions => _arbiter!.Services.GetRequiredService<RecordingDecisionRecorder>();

    /// <summary>The clock of the HR server's decision cache (only with <c>cacheLifetime</c>).</summary>
    public FakeTimeProvider CacheClock { get; } = new();

    /// <summary>Arbiter's audience when it requires tokens (Entra ID mode, issuer: the development issuer).</summary>
    public const string ArbiterAudience = "api://arbiter-demo";

    /// <summary>
    /// The demo's servers. With <paramref name="serverRoles"/>, Arbiter runs in Entra ID mode trusting the development
    /// issuer (loopback), and the HR server's Arbiter.Client authenticates with a <see cref="DevIssuerCredential"/>
    /// holding those app roles; the admin client uses an <c>Arbiter.Admin</c> token.
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(TimeSpan? cacheLifetime = null, string[]? serverRoles = null)
    {
        var environment = new DemoEnvironment();
        await environment.InitializeAsync(cacheLifetime, serverRoles);
        return environment;
    }

    private async Task InitializeAsync(TimeSpan? cacheLifetime, string[]? serverRoles)
    {
        Directory.CreateDirectory(_directory);
        Issuer = await DevIssuer.StartAsync(new Uri("http://127.0.0.1:0"));
        var arbiterSettings = new Dictionary<string, string?>
        {
            ["Arbiter:PublicBaseUrl"] = "http://127.0.0.1",
            ["Store:Kind"] = "Sqlite",
            ["Store:SqlitePath"] = Path.Combine(_directory, "arbiter.db"),
            ["Seed:File"] = Path.Combine(AppContext.BaseDirectory, "Seed", "demo-tenant.json"),
            ["Seed:Tenant"] = "demo",
            ["Snapshot:Tenants"] = "demo",
            ["Auth:Mode"] = "Development",
            ["Auth:DevelopmentTenant"] = "demo",
            ["urls"] = "http://127.0.0.1:0",
        };
        if (serverRoles is not null)
        {
            arbiterSettings.Remove("Auth:DevelopmentTenant");
            arbiterSettings["Auth:Mode"] = "EntraId";
            arbiterSettings["Auth:Authority"] = Issuer.Issuer.ToString();
            arbiterSettings["Auth:Audience"] = ArbiterAudience;
            arbiterSettings["Auth:TenantClaim"] = "tid";
        }
        _arbiter = new ArbiterFactory(arbiterSettings);
        _arbiter.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _arbiter.StartServer();
        ArbiterAddress = new Uri(_arbiter.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        Arbiter = _arbiter.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = ArbiterAddress, AllowAutoRedirect = false });
        if (serverRoles is not null)
            Arbiter.DefaultRequestHeaders.Authorization = new("Bearer", Issuer.MintService("demo-operator", ArbiterAudience, ["Arbiter.Admin"]));

        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["HrServer:Authority"] = Issuer.Issuer.ToString(),
            ["Arbiter:Client:Endpoint"] = ArbiterAddress.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (cacheLifetime is { } lifetime)
            settings["Arbiter:Client:CacheLifetime"] = lifetime.ToString();
        if (serverRoles is not null)
            settings["Arbiter:Client:Scope"] = ArbiterAudience + "/.default";
        _hr = HrServerApp.Create([], settings, configureServices: services =>
        {
            // Only the decision cache runs on the fake clock; tokens and timeouts keep real time.
            services.AddSingleton(provider => new DecisionCache(provider.GetRequiredService<IOptions<ArbiterClientOptions>>(), CacheClock));
            if (serverRoles is not null)
                services.AddSingleton<Azure.Core.TokenCredential>(new DevIssuerCredential(Issuer, "hr-mcp-server", serverRoles));
        });
        await _hr.StartAsync();
        var address = _hr.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        McpEndpoint = new Uri(address.TrimEnd('/') + "/mcp");
    }

    /// <summary>A real MCP client for <paramref name="user"/> through <paramref name="agent"/>, with its own request id.</summary>
    public Task<McpClient> ConnectAsync(string user, string agent, string? requestId = null) =>
        ConnectWithTokenAsync(Issuer.MintDelegated(user, agent), requestId);

    public async Task<McpClient> ConnectWithTokenAsync(string token, string? requestId = null)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        if (requestId is not null)
            headers["X-Request-ID"] = requestId;
        var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = McpEndpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        }));
        _clients.Add(client);
        return client;
    }

    public async Task SetSuspendedAsync(string agent, bool suspended)
    {
        using var response = await Arbiter.PostAsync($"manage/v1/agents/{agent}/{(suspended ? "suspend" : "resume")}", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task CreatePolicyAsync(JsonObject policy)
    {
        using var response = await Arbiter.PostAsJsonAsync("manage/v1/policies", policy);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"policy not created: {(int)response.StatusCode} {body}");
    }

    /// <summary>Stops Arbiter while the MCP server keeps running (the PDP going away mid-session).</summary>
    public async Task StopArbiterAsync()
    {
        if (_arbiter is null)
            return;
        Arbiter.Dispose();
        await _arbiter.DisposeAsync();
        _arbiter = null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        if (_hr is not null)
        {
            await _hr.StopAsync();
            await _hr.DisposeAsync();
        }
        await StopArbiterAsync();
        if (Issuer is not null)
            await Issuer.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaks a temp folder.
        }
    }

    private sealed class ArbiterFactory(IDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<RecordingDecisionRecorder>();
                services.RemoveAll<DecisionLogRecorder>();
                services.AddSingleton<DecisionLogRecorder>(provider => provider.GetRequiredService<RecordingDecisionRecorder>());
            });
        }
    }
}
