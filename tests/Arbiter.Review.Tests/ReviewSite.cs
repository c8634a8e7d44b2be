using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Arbiter.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Arbiter.Review.Tests;

/// <summary>
/// One real self-hosted server (Kestrel on a free loopback port, its own SQLite file, the demo seed, governance on with
/// the review queue on <c>ARBITER_TEST_STORAGE</c>) and one headless Debian chromium driven by Playwright, shared by
/// the tests of a class. The server's drift schedule plays the seed's governance part at start, exactly as in
/// <c>infra/run.sh</c>; the fixture waits for that first round (an event), then every test signs in its own user in
/// a fresh browser context.
/// </summary>
public sealed class ReviewSite : IAsyncLifetime
{
    public const string Tenant = "demo";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-review-tests", Guid.NewGuid().ToString("n"));
    private readonly string _queue = "review-tests-" + Guid.NewGuid().ToString("n")[..20];
    private Factory? _factory;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The server's API, without cookies (Development mode: an admin of the demo tenant).</summary>
    public HttpClient Api { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>Where screenshots go: <c>ARBITER_TEST_RESULTS</c> (infra/test.sh sets its results folder), else beside the tests.</summary>
    public static string ScreenshotDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("ARBITER_TEST_RESULTS") is { Length: > 0 } r ? r : Path.Combine(AppContext.BaseDirectory, "TestResults"), "review-screenshots");

    /// <summary>Debian's chromium (<c>ARBITER_CHROMIUM</c> overrides); Playwright's own download cannot reach its CDN here.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("ARBITER_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"no chromium at {ChromiumPath}: infra/test.sh installs Debian's chromium package (apt-get install chromium)");
        Directory.CreateDirectory(_directory);
        Directory.CreateDirectory(ScreenshotDirectory);
        var storage = Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } s ? s : "UseDevelopmentStorage=true";
        _factory = new Factory(new Dictionary<string, string?>
        {
            ["Arbiter:PublicBaseUrl"] = "https://pdp.arbiter.test",
            ["Store:Kind"] = "Sqlite",
            ["Store:SqlitePath"] = Path.Combine(_directory, "arbiter.db"),
            ["Seed:File"] = Path.Combine(AppContext.BaseDirectory, "Seed", "demo-tenant.json"),
            ["Seed:Tenant"] = Tenant,
            ["Snapshot:Tenants"] = Tenant,
            ["Auth:Mode"] = "Development",
            ["Auth:DevelopmentTenant"] = Tenant,
            ["AzureWebJobsStorage"] = storage,
            ["Governance:ReviewQueue"] = _queue,
            // One round at start (certify as seeded, the seed's later changes, drift); the next is an hour away.
            ["Governance:Schedule:DriftSeconds"] = "3600",
            ["urls"] = "http://127.0.0.1:0",
        });
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseAddress = new Uri(address);
        Api = new HttpClient { BaseAddress = BaseAddress };
        await _factory.Services.GetServices<IHostedService>().OfType<GovernanceSchedule>().Single().FirstRound.WaitAsync(TimeSpan.FromMinutes(1));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh browser context signed in (through the sign-in page) as <paramref name="user"/>, on "My reviews".</summary>
    public async Task<IPage> SignInAsync(string user, int width = 1200, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/review/");
        Assert.EndsWith("/review/signin?returnUrl=%2Freview%2F", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("Sign in as").SelectOptionAsync(user);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/review/");
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>An agent-only or principal decision through the real evaluation endpoint.</summary>
    public async Task<bool> DecideAsync(object request)
    {
        using var response = await Api.PostAsJsonAsync("/access/v1/evaluation", request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("decision").GetBoolean();
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Api.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.Clone();
    }

    /// <summary>The task the seed's governance part opened for an agent at start (not one a test wrote).</summary>
    public async Task<string> TaskIdOfAsync(string agentId)
    {
        var tasks = await GetJsonAsync($"/manage/v1/governance/tasks?agent={agentId}");
        return tasks.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).Single(id => !id.StartsWith(TestTaskPrefix, StringComparison.Ordinal));
    }

    /// <summary>Ids of tasks tests write themselves start with this.</summary>
    public const string TestTaskPrefix = "rt-test-";

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_factory is not null)
            await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            var options = new Azure.Storage.Queues.QueueClientOptions();
            options.Retry.MaxRetries = 0;
            await new Azure.Storage.Queues.QueueClient(Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } s ? s : "UseDevelopmentStorage=true", _queue, options).DeleteIfExistsAsync();
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

    private sealed class Factory(IDictionary<string, string?> settings) : WebApplicationFactory<Program>
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
