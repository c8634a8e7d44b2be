using Arbiter.Api;
using Arbiter.Api.Http;
using Arbiter.Runtime;
using Arbiter.Server;
using OpenTelemetry.Trace;

// The self-hosted decision server (sidecar mode): the same handlers, options and store as the Functions app, on Kestrel.
// Settings a person got wrong (validation, an address in use) end as one line and exit 1; see StartupError.
try
{
    return await RunAsync(args);
}
catch (Exception error) when (StartupError.Describe(error) is { } reason)
{
    return StartupError.Report(reason);
}

static async Task<int> RunAsync(string[] args)
{
    // appsettings.json ships beside the binary: found from any working directory.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddArbiterApi();
    builder.AddArbiterSync();
    builder.AddArbiterTelemetry(tracing => tracing.AddAspNetCoreInstrumentation());
    ServerGovernance.AddWhenQueued(builder);
    builder.AddArbiterOpenApi();
    builder.Services.AddOptions<SeedOptions>().Bind(builder.Configuration.GetSection(SeedOptions.Section));
    // A failed start is said once: by StartupError in one line, or as the unhandled exception; not also by the host.
    var starting = true;
    builder.Logging.AddFilter(StartupError.HostCategory, level => !starting || level < LogLevel.Error);

    var app = builder.Build();
    if (!DevelopmentGuard.Check(app))
        return 1;
    if (!await DemoSeed.ApplyAsync(app))
        return 2;
    app.UseRouting();
    app.UseArbiterEdge();
    app.MapArbiterEndpoints();
    ServerGovernance.Map(app);
    app.MapArbiterOpenApi();
    await app.StartAsync();
    starting = false;
    if (!DevelopmentGuard.CheckBound(app))
    {
        await app.StopAsync();
        return 1;
    }
    await app.WaitForShutdownAsync();
    return 0;
}

/// <summary>Entry point, visible to the HTTP tests.</summary>
public partial class Program;
