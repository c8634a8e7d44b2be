using Arbiter.Api;
using Arbiter.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.AddArbiterDecisions();
builder.AddArbiterSync();
builder.AddArbiterTelemetry(aspNetCore: false);
builder.AddDevelopmentGuard();

builder.Build().Run();
