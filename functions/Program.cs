using Arbiter.Api;
using Arbiter.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.AddArbiterDecisions();
builder.AddArbiterSync();
builder.AddArbiterTelemetry(aspNetCore: false);
builder.AddArbiterGovernance();
builder.AddDevelopmentGuard();

builder.Build().Run();
