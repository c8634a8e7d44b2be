using Arbiter.Api;
using Arbiter.Server;

// The self-hosted decision server (sidecar mode): the same handlers, options and store as the Functions app, on Kestrel.
var builder = WebApplication.CreateBuilder(args);
builder.AddArbiterDecisions();
builder.AddArbiterSync();
builder.AddArbiterTelemetry(aspNetCore: true);
ServerGovernance.AddWhenQueued(builder);
builder.Services.AddOptions<SeedOptions>().Bind(builder.Configuration.GetSection(SeedOptions.Section));

var app = builder.Build();
if (!DevelopmentGuard.Check(app))
    return 1;
await DemoSeed.ApplyAsync(app);
app.MapArbiterEndpoints();
ServerGovernance.Map(app);
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
