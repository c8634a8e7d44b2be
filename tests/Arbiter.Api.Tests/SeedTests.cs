using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>An invalid seed file stops the server cleanly: exit code 2 and the reason logged, never an unhandled exception.</summary>
public sealed class SeedTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-api-tests", Guid.NewGuid().ToString("n"));

    public SeedTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Only a leaked temp folder.
        }
    }

    public static TheoryData<string, string> BadSeeds => new()
    {
        { """{"format":"arbiter-tenant/1","policies":[{"id":"p","effect":"forbid","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["a"]},"agents":{"ids":["x"]}}]}""", "/policies/0/effect" },
        { """{"format":"arbiter-tenant/1","users":[{"id":"u","enabled":"false"}]}""", "/users[id=u]/enabled" },
        { "{\"format\":\"arbiter-tenant/1\",\"policies\":[{\"id\":\"deep\",\"effect\":\"permit\",\"actions\":[\"agent.invoke\"],\"subjects\":{\"users\":[\"a\"]},\"agents\":{\"ids\":[\"x\"]},\"condition\":\"" + new string('(', 1300) + "true" + new string(')', 1300) + "\"}]}", "condition" },
        { "{ not json", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadSeeds))]
    public async Task Start_InvalidSeedFile_ExitsWith2AndSaysWhy(string seed, string named)
    {
        var file = Path.Combine(_directory, "seed.json");
        await File.WriteAllTextAsync(file, seed);

        var run = await ServerProcess.RunAsync("--Seed:File", file, "--Seed:Tenant", "demo", "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("REFUSING TO START: seed file", run.Output, StringComparison.Ordinal);
        Assert.Contains(named, run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.Ordinal);
    }
}
