using System.Net;
using System.Net.Http.Headers;
using Arbiter.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arbiter.Gateway.Tests.Hosting;

/// <summary>The host itself: settings checked at start (a bad one stops the start, not the first request), health, stream resumption.</summary>
public sealed class GatewayAppTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        ["Urls"] = "http://127.0.0.1:0",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Gateway:Authority"] = "http://127.0.0.1:9",
        ["Gateway:Audience"] = GatewayEnvironment.GatewayAudience,
        ["Gateway:Upstreams:hr:Url"] = "http://127.0.0.1:9/mcp",
        ["Arbiter:Client:Endpoint"] = "http://127.0.0.1:9/",
    };

    [Theory]
    [InlineData("Gateway:Upstreams:hr:Url", "", "Gateway:Upstreams:hr:Url")]
    [InlineData("Gateway:Upstreams:hr:Url", "ftp://example.com/mcp", "Gateway:Upstreams:hr:Url")]
    [InlineData("Gateway:Upstreams:hr:Scope", "api://hr/.default", "must use https when a token is sent")]
    [InlineData("Gateway:Authority", "http://login.example.com/", "Gateway:Authority must be https")]
    [InlineData("Gateway:Upstreams:hr:Arbiter:DenialErrorCode", "12", "DenialErrorCode")]
    [InlineData("Gateway:MaxRequestBytes", "10", "MaxRequestBytes")]
    public async Task Start_BadSetting_FailsNamingIt(string key, string value, string expected)
    {
        var settings = Valid();
        settings[key] = value;
        if (key == "Gateway:Upstreams:hr:Scope")
            settings["Gateway:Upstreams:hr:Url"] = "http://hr.example.com/mcp";

        // Mapping the proxy already reads the options, so the app fails while it is built or started.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = GatewayApp.Create([], settings);
            await app.StartAsync();
        });

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_NoToken_Ok()
    {
        await using var app = GatewayApp.Create([], Valid());
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(Address(app)) };

        using var response = await http.GetAsync("health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    [Fact]
    public async Task Get_ResumingAStream_Rejected400()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, env.Route("meta"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", env.Issuer.MintDelegated("alice", "hr-assistant", GatewayEnvironment.GatewayAudience));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "42");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Last-Event-ID", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_LargerThanTheLimit_Rejected413()
    {
        await using var env = await GatewayEnvironment.StartAsync(new Dictionary<string, string?> { ["Gateway:MaxRequestBytes"] = "2048" });
        using var http = new HttpClient();
        using var request = EndToEnd.GatewayEnforcementTests.Post(env, "meta", env.Issuer.MintDelegated("alice", "hr-assistant", GatewayEnvironment.GatewayAudience),
            """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hr-policies","arguments":{"topic":"TOPIC"}}}""".Replace("TOPIC", new string('x', 4096), StringComparison.Ordinal));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
}
