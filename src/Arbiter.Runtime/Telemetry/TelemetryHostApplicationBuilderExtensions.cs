using Arbiter.Runtime.Telemetry;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Arbiter.Runtime;

public static class TelemetryHostApplicationBuilderExtensions
{
    /// <summary>The service name when <c>OTEL_SERVICE_NAME</c> does not set one.</summary>
    public const string DefaultServiceName = "arbiter";

    /// <summary>The standard OpenTelemetry settings that turn the OTLP exporter on (any one of them).</summary>
    public static readonly string[] OtlpEndpointSettings =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    ];

    /// <summary>
    /// OpenTelemetry for every host: traces (Arbiter decisions, outgoing HTTP — Cosmos DB, Graph, the queue — plus what
    /// <paramref name="tracing"/> adds: the self-hosted server's ASP.NET Core requests, the Functions worker's
    /// invocations), metrics (decisions, latency, snapshot age, decision log, outgoing HTTP) and logs. Configured the
    /// standard way: <c>OTEL_*</c> (service name, resource attributes, and OTLP through <c>UseOtlpExporter</c> when an
    /// <c>OTEL_EXPORTER_OTLP_*ENDPOINT</c> is set), and Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
    /// is set — always with the process's <see cref="TokenCredential"/>, because Application Insights has local
    /// (instrumentation key) authentication off and refuses anything else. docs/telemetry.md names every signal.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterTelemetry(this IHostApplicationBuilder builder, Action<TracerProviderBuilder>? tracing = null)
    {
        var configuration = builder.Configuration;
        builder.Services.AddArbiterAzureCredential(configuration);
        var azureMonitor = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } connectionString ? connectionString : null;
        if (azureMonitor is not null)
        {
            builder.Services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential>((options, credential) =>
            {
                options.ConnectionString = azureMonitor;
                options.Credential = credential;
            });
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // The SDK reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself; a name set here would override them.
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]) && !HasServiceNameAttribute(configuration["OTEL_RESOURCE_ATTRIBUTES"]))
                    resource.AddService(DefaultServiceName);
            })
            .WithTracing(traces =>
            {
                traces.AddSource(ArbiterTelemetry.SourceName).AddHttpClientInstrumentation();
                tracing?.Invoke(traces);
                if (azureMonitor is not null)
                    traces.AddAzureMonitorTraceExporter();
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ArbiterTelemetry.MeterName, Arbiter.DecisionLog.DecisionLogger.MeterName).AddHttpClientInstrumentation();
                if (azureMonitor is not null)
                    metrics.AddAzureMonitorMetricExporter();
            })
            .WithLogging(logs =>
            {
                if (azureMonitor is not null)
                    logs.AddAzureMonitorLogExporter();
            });
        if (OtlpEndpointSettings.Any(key => !string.IsNullOrWhiteSpace(configuration[key])))
            telemetry.UseOtlpExporter();
        return builder;
    }

    private static bool HasServiceNameAttribute(string? attributes) =>
        attributes is not null && attributes.Split(',').Any(a => a.TrimStart().StartsWith("service.name=", StringComparison.Ordinal));
}
