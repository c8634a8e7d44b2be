using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Arbiter.Gateway;

/// <summary>
/// The gateway host: authentication, then per upstream route the MCP-aware step (<see cref="McpGatewayMiddleware"/>)
/// in YARP's pipeline before forwarding; <c>/health</c> unauthenticated; traces through OpenTelemetry (OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set).
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
        var otel = builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddSource("Yarp.ReverseProxy"));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            otel.UseOtlpExporter();
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
