using Arbiter.Api.Health;

// The self-hosted decision server (sidecar mode): the same handlers as the Functions app, on Kestrel.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<HealthEndpoint>();

var app = builder.Build();
app.MapGet("/health", (HealthEndpoint endpoint) => endpoint.Handle());
app.Run();

/// <summary>Entry point, visible to the HTTP tests.</summary>
public partial class Program;
