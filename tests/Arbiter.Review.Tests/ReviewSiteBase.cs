using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbiter.Review.Tests;

/// <summary>
/// The real self-hosted server (Kestrel on a free loopback port, its own SQLite file, the demo seed, governance on with
/// the review queue on <c>ARBITER_TEST_STORAGE</c>). A derived fixture changes its settings or services.
/// </summary>
public abstract class ReviewSiteBase : IAsyncLifetime
{
    public const string Tenant = "demo";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-review-tests", Guid.NewGuid().ToString("n"));
    private readonly string _queue = "review-tests-" + Guid.NewGuid().ToString("n")[..20];
    private Factory? _factory;

    /// <summary>The server over HTTP without cookies or redirects followed (Development mode: an admin of the demo tenant).</summary>
    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    protected static string Storage => Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } s ? s : "UseDevelopmentStorage=true";

    protected virtual IDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Arbiter:PublicBaseUrl"] = "https://pdp.arbiter.test",
        ["Store:Kind"] = "Sqlite",
        ["Store:SqlitePath"] = Path.Combine(_directory, "arbiter.db"),
        ["Seed:File"] = Path.Combine(AppContext.BaseDirectory, "Seed", "demo-tenant.json"),
        ["Seed:Tenant"] = Tenant,
        ["Snapshot:Tenants"] = Tenant,
        ["Auth:Mode"] = "Development",
        ["Auth:DevelopmentTenant"] = Tenant,
        ["Governance:Queue"] = Storage,
        ["Governance:ReviewQueue"] = _queue,
        // One round at start (certify as seeded, the seed's later changes, drift); the next is an hour away.
        ["Governance:Schedule:DriftSeconds"] = "3600",
        ["urls"] = "http://127.0.0.1:0",
    };

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>After the server listens: what a derived fixture needs before its tests run.</summary>
    protected virtual Task StartedAsync() => Task.CompletedTask;

    /// <summary>Before the server stops.</summary>
    protected virtual Task StoppingAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _factory = new Factory(Settings(), ConfigureServices);
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        BaseAddress = new Uri(_factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
        await StartedAsync();
    }

    public async Task DisposeAsync()
    {
        await StoppingAsync();
        Client?.Dispose();
        if (_factory is not null)
            await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            var options = new Azure.Storage.Queues.QueueClientOptions();
            options.Retry.MaxRetries = 0;
            await new Azure.Storage.Queues.QueueClient(Storage, _queue, options).DeleteIfExistsAsync();
        }
        catch (Azure.RequestFailedException)
        {
            // Only a leaked queue in a throw-away emulator.
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaks a temp folder.
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
