using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// A PDP double on real Kestrel (127.0.0.1, free port) whose answer each test scripts, so the client's fail-closed
/// paths (5xx, garbage, a hang, a refused credential) run through the real HTTP stack and resilience pipeline.
/// </summary>
public sealed class FakePdp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakePdp(WebApplication app) => _app = app;

    /// <summary>Each request as the PDP saw it: path, headers, body (also in <c>HttpContext.Items["body"]</c> for the answer).</summary>
    public ConcurrentQueue<Seen> Requests { get; } = new();

    /// <summary>Completed when a request has arrived (for tests that must act while it is in flight).</summary>
    public TaskCompletionSource Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseAddress { get; private set; } = null!;

    public sealed record Seen(string Path, IHeaderDictionary Headers, string Body);

    public static async Task<FakePdp> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var pdp = new FakePdp(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            context.Items["body"] = body;
            pdp.Requests.Enqueue(new Seen(context.Request.Path, new HeaderDictionary(context.Request.Headers.ToDictionary()), body));
            pdp.Received.TrySetResult();
            await answer(context);
        });
        await app.StartAsync();
        pdp.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return pdp;
    }

    /// <summary>Answers every request with <paramref name="status"/> and <paramref name="body"/> as JSON.</summary>
    public static Task<FakePdp> StartAsync(int status, string body) => StartAsync(async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
