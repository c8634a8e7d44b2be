using System.Diagnostics;
using System.Net;
using System.Text;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Runtime;
using Arbiter.Runtime.Telemetry;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Arbiter.Api.Tests.Telemetry;

/// <summary>
/// <c>AddArbiterTelemetry</c>: Application Insights with local auth off takes only Entra tokens, so the Azure Monitor
/// exporter must ask the process's credential; OpenTelemetry's own <c>OTEL_*</c> settings choose the OTLP endpoint, the
/// protocol and the service name.
/// </summary>
public sealed class TelemetryTests
{
    // Nothing listens on port 1: the exporter gets its token, then fails to connect, and the test has what it needs.
    // ForceFlush returns early when the exporter's own timer has just taken the batch; then the collector says when.
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:1/";

    [Fact]
    public async Task AddArbiterTelemetry_ConnectionStringSet_ExporterSendsWithTheSharedCredential()
    {
        var credential = new RecordingCredential();
        using var host = Build(credential, new() { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString });

        var options = host.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
        ExportOneSpan(host);

        Assert.Same(credential, options.Credential);
        Assert.Same(credential, host.Services.GetRequiredService<TokenCredential>());
        await credential.Asked("monitor.azure.com").WaitAsync(Limit);
    }

    [Fact]
    public void AddArbiterTelemetry_NoConnectionString_NoAzureMonitorExport()
    {
        var credential = new RecordingCredential();
        using var host = Build(credential, []);

        ExportOneSpan(host);

        Assert.Empty(credential.Scopes);
    }

    [Fact]
    public async Task AddArbiterTelemetry_OtelSettings_ExportsOtlpToThatEndpointAsThatService()
    {
        await using var collector = await OtlpCollector.StartAsync();
        using var host = Build(new RecordingCredential(), new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "arbiter-otel-test",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=otel-env-test",
        });

        ExportOneSpan(host);

        var body = await collector.Traces.WaitAsync(Limit);
        Assert.Contains("arbiter-otel-test", body, StringComparison.Ordinal);
        Assert.Contains("otel-env-test", body, StringComparison.Ordinal);
        Assert.Contains("otel-probe", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddArbiterTelemetry_NoOtelServiceName_ServiceIsArbiter()
    {
        await using var collector = await OtlpCollector.StartAsync();
        using var host = Build(new RecordingCredential(), new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });

        ExportOneSpan(host);

        var body = await collector.Traces.WaitAsync(Limit);
        Assert.Contains("service.name", body, StringComparison.Ordinal);
        Assert.Contains(TelemetryHostApplicationBuilderExtensions.DefaultServiceName, body, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasonCode_EveryUserReason_HasItsOwnCode()
    {
        string[] reasons =
        [
            Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.Permitted, Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.Denied,
            Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.Forbidden, Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.NoAgentAccess,
            Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.AgentNotPermitted, Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.UserNotPermitted,
            Arbiter.Engine.Snapshots.PolicySnapshot.UserReasons.Error,
        ];

        var codes = reasons.Select(ArbiterTelemetry.ReasonCode).ToList();

        Assert.DoesNotContain("other", codes);
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("other", ArbiterTelemetry.ReasonCode("Some sentence nobody mapped."));
    }

    private static IHost Build(TokenCredential credential, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(credential);
        builder.AddArbiterTelemetry();
        builder.Services.PostConfigure<AzureMonitorExporterOptions>(o =>
        {
            // The exporter would keep failed batches on disk for a retry; this test has no use for them.
            o.DisableOfflineStorage = true;
            // Its default rate-limited sampler (a few traces a second, on the wall clock) could drop the one probe span.
            o.TracesPerSecond = null;
            o.SamplingRatio = 1.0F;
        });
        return builder.Build();
    }

    private static void ExportOneSpan(IHost host)
    {
        var traces = host.Services.GetRequiredService<TracerProvider>();
        using (var activity = ArbiterTelemetry.Source.StartActivity("otel-probe"))
        {
            Assert.NotNull(activity);
            Assert.True(activity.Recorded, $"not recorded; parent {activity.ParentId}");
        }
        Assert.True(traces.ForceFlush());
    }

    /// <summary>An OTLP/HTTP receiver on Kestrel: keeps the first trace export (protobuf; its strings are plain UTF-8).</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly TaskCompletionSource<string> _traces = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private OtlpCollector(WebApplication app) => _app = app;

        public string Address { get; private set; } = "";

        /// <summary>The first trace export's body.</summary>
        public Task<string> Traces => _traces.Task;

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var collector = new OtlpCollector(app);
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                if (context.Request.Path == "/v1/traces")
                    collector._traces.TrySetResult(Encoding.UTF8.GetString(body.ToArray()));
                return Results.Ok();
            });
            await app.StartAsync();
            collector.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
            return collector;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
