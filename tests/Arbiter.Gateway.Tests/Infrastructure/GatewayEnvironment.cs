using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Arbiter.Samples.DevIssuer;
using Arbiter.Samples.HrServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace Arbiter.Gateway.Tests.Infrastructure;

/// <summary>
/// Everything for real, per test, on loopback Kestrel: the self-hosted Arbiter (its Program, its own SQLite file seeded
/// with the demo tenant), the development issuer, the upstreams — the sample HR server without Arbiter.Mcp (<c>hr</c>,
/// reached with the gateway's own token) and <see cref="MetaHrServer"/> (<c>meta</c>, no token, applies row filters
/// from <c>_meta</c>) — and the gateway in front of both. Clients are the official MCP client over Streamable HTTP.
/// </summary>
public sealed class GatewayEnvironment : IAsyncDisposable
{
    public const string GatewayAudience = "api://arbiter-gateway";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-gateway-tests", Guid.NewGuid().ToString("n"));
    private readonly List<McpClient> _clients = [];
    private readonly List<IAsyncDisposable> _upstreams = [];
    private ArbiterFactory? _arbiter;
    private WebApplication? _hr;
    private WebApplication? _gateway;

    public DevIssuer Issuer { get; private set; } = null!;

    public HttpClient Arbiter { get; private set; } = null!;

    public Uri GatewayAddress { get; private set; } = null!;

    /// <summary>Arbiter's services (its document store, to read what it wrote).</summary>
    public IServiceProvider ArbiterServices => _arbiter!.Services;

    public MetaHrServer Meta { get; private set; } = null!;

    /// <summary>
    /// The servers; <paramref name="gateway"/> adds or overrides gateway settings (e.g. another upstream), and
    /// <paramref name="arbiterUrl"/> points the gateway at another PDP (e.g. one that is not there).
    /// </summary>
    public static async Task<GatewayEnvironment> StartAsync(IDictionary<string, string?>? gateway = null, Uri? arbiterUrl = null)
    {
        var environment = new GatewayEnvironment();
        await environment.InitializeAsync(gateway, arbiterUrl);
        return environment;
    }

    private async Task InitializeAsync(IDictionary<string, string?>? gateway, Uri? arbiterUrl)
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
        _arbiter = new ArbiterFactory(arbiterSettings);
        _arbiter.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _arbiter.StartServer();
        var arbiterAddress = new Uri(_arbiter.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        Arbiter = _arbiter.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = arbiterAddress, AllowAutoRedirect = false });

        // The sample HR server as a server that does no enforcement of its own: the gateway is its enforcement point.
        _hr = HrServerApp.Create([], new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["HrServer:Authority"] = Issuer.Issuer.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        }, enforce: false);
        await _hr.StartAsync();
        var hrEndpoint = Address(_hr) + "/mcp";
        Meta = await MetaHrServer.StartAsync();
        _upstreams.Add(Meta);

        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Gateway:Authority"] = Issuer.Issuer.ToString(),
            ["Gateway:Audience"] = GatewayAudience,
            ["Gateway:Upstreams:hr:Url"] = hrEndpoint,
            ["Gateway:Upstreams:hr:Scope"] = DevIssuer.DefaultAudience + "/.default",
            ["Gateway:Upstreams:hr:Arbiter:ServerId"] = "hr-mcp",
            ["Gateway:Upstreams:hr:Arbiter:ToolServers:sql-query"] = "sql-mcp",
            ["Gateway:Upstreams:hr:Arbiter:ToolServers:docs-search"] = "docs-mcp",
            ["Gateway:Upstreams:hr:Arbiter:Tools:hr-lookup:Reads:0:Type"] = "dataset",
            ["Gateway:Upstreams:hr:Arbiter:Tools:hr-lookup:Reads:0:Id"] = "employees",
            ["Gateway:Upstreams:meta:Url"] = Meta.Endpoint.ToString(),
            ["Gateway:Upstreams:meta:AppliesRowFilters"] = "true",
            ["Gateway:Upstreams:meta:Arbiter:ServerId"] = "hr-mcp",
            ["Gateway:Upstreams:meta:Arbiter:ToolServers:docs-search"] = "docs-mcp",
            // Arbiter knows data resources of the document kinds; the prompts are registered as documents.
            ["Gateway:Upstreams:meta:Arbiter:PromptType"] = "document",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:Reads:0:Type"] = "dataset",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:Reads:0:Id"] = "employees",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:Exposes:0:Type"] = "document",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:Exposes:0:Id"] = "employee-record",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:FieldClassifications:salary"] = "confidential",
            ["Gateway:Upstreams:meta:Arbiter:Tools:hr-lookup:FieldClassifications:nationalId"] = "restricted",
            ["Arbiter:Client:Endpoint"] = (arbiterUrl ?? arbiterAddress).ToString(),
            ["Arbiter:Client:Timeout"] = "00:00:05",
        };
        foreach (var (key, value) in gateway ?? new Dictionary<string, string?>())
            settings[key] = value;
        _gateway = GatewayApp.Create([], settings, services =>
            services.AddSingleton<Azure.Core.TokenCredential>(new DevIssuerCredential(Issuer, "arbiter-gateway", ["mcp.proxy"])));
        await _gateway.StartAsync();
        GatewayAddress = new Uri(Address(_gateway) + "/");
    }

    /// <summary>A real MCP client through the gateway's route for <paramref name="upstream"/>, for <paramref name="user"/> via <paramref name="agent"/>.</summary>
    public Task<McpClient> ConnectAsync(string upstream, string user, string agent, string? requestId = null) =>
        ConnectWithTokenAsync(upstream, Issuer.MintDelegated(user, agent, GatewayAudience), requestId);

    public async Task<McpClient> ConnectWithTokenAsync(string upstream, string token, string? requestId = null)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        if (requestId is not null)
            headers["X-Request-ID"] = requestId;
        var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = Route(upstream),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        }));
        _clients.Add(client);
        return client;
    }

    public Uri Route(string upstream) => new(GatewayAddress, "mcp/" + upstream);

    /// <summary>Tracks an extra upstream (e.g. a Node server) so it stops with the environment.</summary>
    public void Own(IAsyncDisposable upstream) => _upstreams.Add(upstream);

    public async Task CreatePolicyAsync(JsonObject policy)
    {
        using var response = await Arbiter.PostAsJsonAsync("manage/v1/policies", policy);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"policy not created: {(int)response.StatusCode} {body}");
    }

    /// <summary>Registers a data resource (resources and prompts must be known to Arbiter to be decided).</summary>
    public Task RegisterAsync(string type, string id, string classification = "internal") =>
        PutDirectoryAsync("data-resources", id, new JsonObject { ["type"] = type, ["classification"] = classification });

    /// <summary>Writes a directory item (users, agents, mcp-servers, tools, data-resources) through the admin API.</summary>
    public async Task PutDirectoryAsync(string collection, string id, JsonObject item)
    {
        using var response = await Arbiter.PutAsJsonAsync($"manage/v1/directory/{collection}/{Uri.EscapeDataString(id)}", item);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{collection}/{id} not written: {(int)response.StatusCode} {body}");
    }

    public async Task SetSuspendedAsync(string agent, bool suspended)
    {
        using var response = await Arbiter.PostAsync($"manage/v1/agents/{agent}/{(suspended ? "suspend" : "resume")}", null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Stops Arbiter while the gateway keeps running (the PDP going away mid-session).</summary>
    public async Task StopArbiterAsync()
    {
        if (_arbiter is null)
            return;
        Arbiter.Dispose();
        await _arbiter.DisposeAsync();
        _arbiter = null;
    }

    /// <summary>Stops the sample HR server while the gateway keeps running (an upstream going away).</summary>
    public async Task StopHrServerAsync()
    {
        if (_hr is null)
            return;
        await _hr.StopAsync();
        await _hr.DisposeAsync();
        _hr = null;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single().TrimEnd('/');

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                await client.DisposeAsync();
            }
            catch (HttpRequestException)
            {
                // A client whose upstream a test stopped cannot end its session cleanly; nothing is left behind.
            }
        }
        if (_gateway is not null)
        {
            await _gateway.StopAsync();
            await _gateway.DisposeAsync();
        }
        await StopHrServerAsync();
        foreach (var upstream in _upstreams)
            await upstream.DisposeAsync();
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
        }
    }
}
