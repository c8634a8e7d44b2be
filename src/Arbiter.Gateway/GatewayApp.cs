using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Arbiter.Gateway;

/// <summary>
/// The gateway host: authentication, then per upstream route the MCP-aware step (<see cref="McpGatewayMiddleware"/>)
/// in YARP's pipeline before forwarding; <c>/health</c> unauthenticated; traces through OpenTelemetry.
/// </summary>
public static class GatewayApp
{
    public const string SettingsFile = "gateway.settings.json";

    /// <summary>The app from <paramref name="args"/>, then <paramref name="settings"/> (tests); <paramref name="configureServices"/> runs last.</summary>
    public static WebApplication Create(string[] args, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = SettingsFile,
            Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddArbiterGateway(builder.Configuration);
        // Exporters as in Arbiter itself: OTLP when OpenTelemetry:OtlpEndpoint is set, Azure Monitor when
        // APPLICATIONINSIGHTS_CONNECTION_STRING is set; the traces carry each request and its upstream call.
        var otlp = builder.Configuration["OpenTelemetry:OtlpEndpoint"];
        var appInsights = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("arbiter-gateway"))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddSource("Yarp.ReverseProxy");
                if (!string.IsNullOrWhiteSpace(otlp))
                    tracing.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                if (!string.IsNullOrWhiteSpace(appInsights))
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
            });
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/health", () => Results.Json(new HealthAnswer("ok"), GatewayHealthJsonContext.Default.HealthAnswer));
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<McpGatewayMiddleware>();
            proxy.UseLoadBalancing();
        });
        return app;
    }
}
