using System.Net;
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
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// The real self-hosted server (<see cref="Program"/>) on real Kestrel at 127.0.0.1 on a free port, with its own
/// SQLite file seeded from the demo tenant. Each test class gets its own instance through a derived fixture, so no
/// two classes share a store. Settings are in-memory configuration layered over the server's appsettings.json.
/// </summary>
public abstract class ArbiterServerFixture : IAsyncLifetime
{
    public const string PublicBaseUrl = "https://pdp.arbiter.test";
    public const string NotListening = "the server did not start listening";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-api-tests", Guid.NewGuid().ToString("n"));
    private Factory? _factory;

    public static string DemoTenantFile => Path.Combine(AppContext.BaseDirectory, "Seed", "demo-tenant.json");

    /// <summary>The tenant the demo data is seeded into (and, in Development mode, every caller's tenant).</summary>
    public virtual string SeedTenant => "demo";

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>Settings of this fixture's server; overrides add to or replace the defaults.</summary>
    protected virtual IDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Arbiter:PublicBaseUrl"] = PublicBaseUrl,
        ["Store:Kind"] = "Sqlite",
        ["Store:SqlitePath"] = Path.Combine(_directory, "arbiter.db"),
        ["Seed:File"] = DemoTenantFile,
        ["Seed:Tenant"] = SeedTenant,
        ["Snapshot:Tenants"] = SeedTenant,
        ["Auth:Mode"] = "Development",
        ["Auth:DevelopmentTenant"] = SeedTenant,
        ["urls"] = "http://127.0.0.1:0",
    };

    /// <summary>Replaces services after the server registered its own (e.g. the OIDC metadata).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Releases what a derived fixture holds, after the server stopped.</summary>
    protected virtual void Disposed()
    {
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _factory = new Factory(Settings(), ConfigureServices);
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        // Program returns before listening when it refuses to start (the development guard): then no address is bound.
        var address = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.SingleOrDefault()
            ?? throw new InvalidOperationException(NotListening);
        Client = _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(address), AllowAutoRedirect = false, HandleCookies = false });
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_factory is not null)
            await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Disposed();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaks a temp folder; it must not fail the run.
        }
    }

    private sealed class Factory(IDictionary<string, string?> settings, Action<IServiceCollection> configureServices) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            builder.ConfigureTestServices(configureServices);
        }
    }
}

/// <summary>Development mode (no authentication), default limits, demo tenant "demo".</summary>
public sealed class DevelopmentServer : ArbiterServerFixture;

/// <summary>Development mode with small limits, to reach the 413/400 limit paths with small bodies.</summary>
public sealed class SmallLimitsServer : ArbiterServerFixture
{
    public const int MaxBodyBytes = 2048;
    public const int MaxJsonDepth = 8;
    public const int MaxBatchSize = 3;
    public const int MaxPageSize = 2;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Arbiter:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Arbiter:MaxJsonDepth"] = MaxJsonDepth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Arbiter:MaxBatchSize"] = MaxBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Arbiter:MaxPageSize"] = MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }
}

/// <summary>
/// Entra ID mode: the OIDC metadata is a <see cref="Microsoft.IdentityModel.Protocols.StaticConfigurationManager{T}"/>
/// holding <see cref="TestTokens"/>' issuer and signing key, so tokens minted by the tests validate exactly as Entra
/// ID tokens would. The demo data is seeded into <see cref="TestTokens.TenantA"/>.
/// </summary>
public class EntraIdServer : ArbiterServerFixture
{
    public TestTokens Tokens { get; } = new();

    public override string SeedTenant => TestTokens.TenantA;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Auth:Mode"] = "EntraId";
        settings["Auth:Authority"] = TestTokens.Issuer;
        settings["Auth:Audience"] = TestTokens.Audience;
        settings.Remove("Auth:DevelopmentTenant");
        return settings;
    }

    protected override void Disposed() => Tokens.Dispose();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<BaseConfigurationManager>();
        services.AddSingleton<BaseConfigurationManager>(Tokens.ConfigurationManager);
    }
}
