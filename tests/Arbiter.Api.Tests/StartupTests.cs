using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>
/// The self-hosted server's start-up as an operator sees it: a mistake in the settings or an address in use is one line
/// and exit code 1 (not an unhandled exception, exit 134, and a stack trace); the development warning comes once; the
/// appsettings.json beside the binary is read whatever the working directory.
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Server_PortInUse_OneLineAndExitCode1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await ServerProcess.RunAsync("--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(Lines(run), l => l.Contains("Arbiter cannot start", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Server_EntraIdWithoutAuthority_OneLineNamingTheSettingAndExitCode1()
    {
        var run = await ServerProcess.RunAsync("--Auth:Mode", "EntraId", "--Auth:Audience", "api://arbiter");

        Assert.False(run.Listened, run.Output);
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(Lines(run), l => l.Contains("Arbiter cannot start", StringComparison.Ordinal));
        Assert.Contains("Authority", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Server_DevelopmentMode_WarnsOnce()
    {
        var directory = Directory.CreateTempSubdirectory("arbiter-warning-");
        await using var server = LiveServer.Start(Path.Combine(directory.FullName, "server.db"));
        // The warning follows the check of the bound addresses; a request answered after it means start-up is over.
        await server.WaitForLineAsync("AUTHENTICATION IS OFF", TimeSpan.FromSeconds(45));
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Single(server.Output.Split('\n'), l => l.Contains("AUTHENTICATION IS OFF", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_StartedFromAnotherDirectory_ReadsTheAppSettingsBesideTheBinary()
    {
        var directory = Directory.CreateTempSubdirectory("arbiter-content-root-");
        await using var server = LiveServer.Start(Path.Combine(directory.FullName, "server.db"));
        await server.WaitForLineAsync("Now listening on", TimeSpan.FromSeconds(45));
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using var metadata = JsonDocument.Parse(await client.GetStringAsync(new Uri("/.well-known/authzen-configuration", UriKind.Relative)));

        // appsettings.json says 127.0.0.1; the code's default is localhost.
        Assert.Equal("http://127.0.0.1:5080", metadata.RootElement.GetProperty("policy_decision_point").GetString());
    }

    private static string[] Lines(ServerProcess.Run run) => run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static void AssertNoStackTrace(ServerProcess.Run run) =>
        Assert.False(Lines(run).Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal)), run.Output);
}
