using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace Arbiter.Gateway.Bench;

/// <summary>An MCP server (official C# SDK, no authentication, no Arbiter) with <c>count</c> tools <c>tool-000</c>…, for the list-filtering cost.</summary>
internal static class ManyToolsServer
{
    public static async Task<(WebApplication App, Uri Endpoint)> StartAsync(int count)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var tools = Enumerable.Range(0, count).Select(i => McpServerTool.Create(
            (string text) => text,
            new McpServerToolCreateOptions { Name = Name(i), Description = $"Benchmark tool {i}: echoes its text." })).ToList();
        builder.Services.AddMcpServer().WithHttpTransport().WithTools(tools);
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return (app, new Uri(address.TrimEnd('/') + "/mcp"));
    }

    public static string Name(int i) => $"tool-{i:000}";
}
