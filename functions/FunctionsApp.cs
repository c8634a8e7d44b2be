using Arbiter.Api;
using Arbiter.Runtime;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arbiter.Functions;

/// <summary>The app's registrations, one line per capability; the tests build their host from this same method.</summary>
public static class FunctionsApp
{
    public static IHostApplicationBuilder AddArbiterFunctions(this IHostApplicationBuilder builder)
    {
        builder.AddArbiterApi();
        builder.AddArbiterSync();
        builder.AddArbiterTelemetry();
        // Each invocation's spans join the host's trace (host.json: telemetryMode OpenTelemetry).
        builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
        builder.AddArbiterGovernanceApi();
        builder.AddArbiterReview();
        builder.AddDevelopmentGuard();
        return builder;
    }

    /// <summary>The edge pipeline for HTTP invocations only (timers and queues have no caller to authenticate).</summary>
    public static IFunctionsWorkerApplicationBuilder UseArbiterEdge(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseWhen<EdgeWorkerMiddleware>(context => context.GetHttpContext() is not null);
}
