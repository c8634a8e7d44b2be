using Arbiter.Api;
using Arbiter.Api.Http;
using Arbiter.Runtime;
using Arbiter.Server;
using OpenTelemetry.Trace;

// The self-hosted decision server (sidecar mode): the same handlers, options and store as the Functions app, on Kestrel.
var builder = WebApplication.CreateBuilder(args);
builder.AddArbiterApi();
builder.AddArbiterSync();
builder.AddArbiterTelemetry(tracing => tracing.AddAspNetCoreInstrumentation());
ServerGovernance.AddWhenQueued(builder);
builder.AddArbiterOpenApi();
builder.Services.AddOptions<SeedOptions>().Bind(builder.Configuration.GetSection(SeedOptions.Section));

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
if (!DevelopmentGuard.CheckBound(app))
{
    await app.StopAsync();
    return 1;
}
await app.WaitForShutdownAsync();
return 0;

/// <summary>Entry point, visible to the HTTP tests.</summary>
public partial class Program;
