namespace Arbiter.Deployment.Tests;

/// <summary>
/// What the app needs in Azure to be observable and to reach its queue with its identity: the role that lets it ingest
/// into Application Insights (local auth off), the standard OpenTelemetry setting, an identity-based queue client.
/// </summary>
public sealed class TelemetryDeploymentTests
{
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    [Fact]
    public void ApplicationInsights_AppIdentityIsMonitoringMetricsPublisher()
    {
        var grants = CompiledTemplate.Resources("Microsoft.Authorization/roleAssignments")
            .Where(a => a.Property("roleDefinitionId")?.ToJsonString().Contains(MonitoringMetricsPublisher, StringComparison.Ordinal) == true)
            .ToList();

        var grant = Assert.Single(grants);
        Assert.Contains("Microsoft.Insights/components", grant.Declaration["scope"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ServicePrincipal", grant.Property("principalType")?.GetValue<string>());
        Assert.Contains("appPrincipalId", grant.Property("principalId")?.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Workbook_OnApplicationInsights_ShowsTheOnCallFigures()
    {
        var workbook = Assert.Single(CompiledTemplate.Resources("Microsoft.Insights/workbooks"));

        Assert.Equal("shared", workbook.Declaration["kind"]?.GetValue<string>());
        Assert.Contains("Microsoft.Insights/components", workbook.Property("sourceId")?.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("workbookContent", workbook.Property("serializedData")?.GetValue<string>(), StringComparison.Ordinal);
        var queries = workbook.Template["variables"]?["workbookQueries"]?.AsArray().Select(q => q!["query"]!.GetValue<string>()).ToList() ?? [];
        // Decisions by outcome, p50/p99, denials by reason, snapshot age, log backlog and losses, sync lag.
        Assert.Contains(queries, q => q.Contains("\"arbiter.decisions\"", StringComparison.Ordinal) && q.Contains("outcome", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("arbiter.decide", StringComparison.Ordinal) && q.Contains("percentile(duration, 99)", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("customDimensions.reason", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("arbiter.snapshot.age", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("arbiter.decision_log.queue_depth", StringComparison.Ordinal) && q.Contains("arbiter.decision_log.lost", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("Entra sync of tenant", StringComparison.Ordinal));
    }

    [Fact]
    public void AppSettings_OtlpThroughTheStandardSetting()
    {
        var settings = AppSettingsTests.AppSettings();

        Assert.True(settings.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.DoesNotContain(settings, pair => pair.Key.StartsWith("OpenTelemetry__", StringComparison.Ordinal));
    }

    [Fact]
    public void AppSettings_GovernanceQueueIsIdentityBased()
    {
        var settings = AppSettingsTests.AppSettings();

        Assert.Contains("primaryEndpoints.queue", settings["Governance__Queue__serviceUri"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(settings.ContainsKey("Governance__Queue"), "a connection string would need a storage key, and keys are off");
    }
}
