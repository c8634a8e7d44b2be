using System.Diagnostics;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Server;

namespace Arbiter.Api.Tests;

/// <summary>Running without authentication is refused unless every listening address is loopback.</summary>
public sealed class DevelopmentGuardTests
{
    [Theory]
    [InlineData("http://localhost:5080")]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://127.0.0.2:80")]
    [InlineData("https://127.0.0.1")]
    [InlineData("http://[::1]:5080")]
    [InlineData("http://localhost")]
    public void IsLoopback_LoopbackAddress_True(string url) => Assert.True(DevelopmentGuard.IsLoopback(url));

    [Theory]
    [InlineData("http://0.0.0.0:5999")]
    [InlineData("http://*:5080")]
    [InlineData("http://+:5080")]
    [InlineData("http://[::]:5080")]
    [InlineData("http://10.0.0.5:5080")]
    [InlineData("http://example.com:5080")]
    [InlineData("http://localhost.example.com:5080")]
    [InlineData("http://127.0.0.1.nip.io:5080")]
    [InlineData("not a url")]
    [InlineData("")]
    public void IsLoopback_ExposedOrUnparsableAddress_False(string url) => Assert.False(DevelopmentGuard.IsLoopback(url));

    [Fact]
    public async Task Server_DevelopmentModeOnAllInterfaces_ExitsWithCode1BeforeListening()
    {
        var run = await ServerProcess.RunAsync("--urls", $"http://0.0.0.0:{ServerProcess.FreePort()}");

        Assert.False(run.Listened, run.Output);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("REFUSING TO START", run.Output, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_DevelopmentModeOneOfSeveralUrlsExposed_ExitsWithCode1()
    {
        var run = await ServerProcess.RunAsync("--urls", $"http://127.0.0.1:{ServerProcess.FreePort()};http://[::]:{ServerProcess.FreePort()}");

        Assert.False(run.Listened, run.Output);
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public async Task Server_DevelopmentModeOnHttpPorts_RefusesToListenOnAllInterfaces()
    {
        // ASPNETCORE_HTTP_PORTS (set by default in the official .NET container images) binds http://*:{port}.
        var run = await ServerProcess.RunAsync("--http_ports", ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.False(run.Listened, "bug: the guard only reads 'urls', so http_ports exposes the unauthenticated server on every interface\n" + run.Output);
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public async Task Server_DevelopmentModeOnKestrelEndpoint_RefusesToListenOnAllInterfaces()
    {
        var run = await ServerProcess.RunAsync("--Kestrel:Endpoints:Http:Url", $"http://0.0.0.0:{ServerProcess.FreePort()}");

        Assert.False(run.Listened, "bug: the guard only reads 'urls', so a Kestrel endpoint exposes the unauthenticated server on every interface\n" + run.Output);
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public async Task Server_EntraIdModeOnAllInterfaces_Listens()
    {
        // The guard only concerns Development mode: an authenticated server may listen anywhere.
        var run = await ServerProcess.RunAsync("--urls", $"http://0.0.0.0:{ServerProcess.FreePort()}", "--Auth:Mode", "EntraId",
            "--Auth:Authority", "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0", "--Auth:Audience", "api://arbiter");

        Assert.True(run.Listened, run.Output);
    }

    [Fact]
    public async Task Server_DevelopmentModeOnAllInterfacesInProcess_DoesNotStart()
    {
        var fixture = new ExposedDevelopmentServer();

        var error = await Record.ExceptionAsync(fixture.InitializeAsync);
        await fixture.DisposeAsync();

        Assert.NotNull(error);
        Assert.Equal(ArbiterServerFixture.NotListening, error.Message);
    }

    private sealed class ExposedDevelopmentServer : ArbiterServerFixture
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["urls"] = "http://0.0.0.0:5999";
            return settings;
        }
    }
}
