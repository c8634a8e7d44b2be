using System.Net.Http.Json;
using System.Text.Json;
using Arbiter.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Arbiter.Review.Tests;

/// <summary>
/// The server (<see cref="ReviewSiteBase"/>) and one headless Debian chromium driven by Playwright, shared by the tests
/// of a class. The server's drift schedule plays the seed's governance part at start, exactly as in
/// <c>infra/run.sh</c>; the fixture waits for that first round (an event), then every test signs in its own user in
/// a fresh browser context.
/// </summary>
public sealed class ReviewSite : ReviewSiteBase
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: <c>ARBITER_TEST_RESULTS</c> (infra/test.sh sets its results folder), else beside the tests.</summary>
    public static string ScreenshotDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("ARBITER_TEST_RESULTS") is { Length: > 0 } r ? r : Path.Combine(AppContext.BaseDirectory, "TestResults"), "review-screenshots");

    /// <summary>Debian's chromium (<c>ARBITER_CHROMIUM</c> overrides); Playwright's own download cannot reach its CDN here.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("ARBITER_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Ids of tasks tests write themselves start with this.</summary>
    public const string TestTaskPrefix = "rt-test-";

    protected override async Task StartedAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"no chromium at {ChromiumPath}: infra/test.sh installs Debian's chromium package (apt-get install chromium)");
        Directory.CreateDirectory(ScreenshotDirectory);
        await Services.GetServices<IHostedService>().OfType<GovernanceSchedule>().Single().FirstRound.WaitAsync(TimeSpan.FromMinutes(1));
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    protected override async Task StoppingAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        _playwright?.Dispose();
    }

    /// <summary>A fresh browser context signed in (through the sign-in page) as <paramref name="user"/>, on "My reviews".</summary>
    public async Task<IPage> SignInAsync(string user, int width = 1200, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height } });
        // Bounds, not waits: each step goes on as soon as the page is ready; a shared, loaded machine needs the headroom.
        context.SetDefaultTimeout(45_000);
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
        using var response = await Client.PostAsJsonAsync("/access/v1/evaluation", request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("decision").GetBoolean();
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
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
}
