using System.Net;
using Arbiter.Samples.DevIssuer;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.Client;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// An MCP server on real Kestrel (Streamable HTTP) with <see cref="TestTools"/> behind <c>WithArbiterAuthorization()</c>,
/// JWT bearer authentication against the <see cref="DevIssuer"/>, and Arbiter at <c>pdp</c>; plus real MCP clients.
/// </summary>
public sealed class McpTestHost : IAsyncDisposable
{
    public const string ServerId = "test-mcp";
    private readonly WebApplication _app;
    private readonly List<McpClient> _clients = [];

    private McpTestHost(WebApplication app, DevIssuer issuer, Uri endpoint)
    {
        _app = app;
        Issuer = issuer;
        Endpoint = endpoint;
    }

    public DevIssuer Issuer { get; }

    public Uri Endpoint { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<McpTestHost> StartAsync(DevIssuer issuer, Uri pdp, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Arbiter:Client:Endpoint"] = pdp.ToString(),
            ["Arbiter:Mcp:ServerId"] = ServerId,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            values[key] = value;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(values);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = issuer.Issuer.ToString();
            options.RequireHttpsMetadata = false;
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters { ValidAudience = DevIssuer.DefaultAudience };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddMcpServer()
            .WithHttpTransport()
            .WithTools<TestTools>()
            .WithResources<TestResources>()
            .WithPrompts<TestPrompts>()
            .WithArbiterAuthorization(builder.Configuration.GetSection("Arbiter"));
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMcp("/mcp").RequireAuthorization();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new McpTestHost(app, issuer, new Uri(address.TrimEnd('/') + "/mcp"));
    }

    /// <summary>A real MCP client (Streamable HTTP) presenting <paramref name="token"/>.</summary>
    public async Task<McpClient> ConnectAsync(string token, string? requestId = null)
    {
        var options = new HttpClientTransportOptions { Endpoint = Endpoint, TransportMode = HttpTransportMode.StreamableHttp };
        options.AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        if (requestId is not null)
            options.AdditionalHeaders["X-Request-ID"] = requestId;
        var client = await McpClient.CreateAsync(new HttpClientTransport(options));
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
