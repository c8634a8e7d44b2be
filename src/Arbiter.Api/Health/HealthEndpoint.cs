using System.Text.Json;
using Arbiter.Api.Security;
using Arbiter.Api.Sync;
using Arbiter.DecisionLog;
using Arbiter.Governance.Reviews;
using Arbiter.Graph.Sync;
using Arbiter.Runtime.Snapshots;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Health;

/// <summary>
/// Health: 200 when healthy, 503 when degraded — degraded while some tenant's snapshot is stale (its decisions fail
/// closed), while the decision log cannot keep its promise (journal not writable, sink failing) or is losing records.
/// Anyone gets only that word (<see cref="HealthSummary"/>: no tenant ids, no counts). A caller with the admin role
/// gets <see cref="HealthReport"/> for their own tenant: snapshot version, age and store state, decision-log backlog and
/// losses, Entra sync last success and lag, governance queue state.
/// </summary>
public sealed class HealthEndpoint(
    TimeProvider time,
    TenantSnapshots snapshots,
    CallerAuthenticator authenticator,
    IOptions<AuthOptions> authOptions,
    DecisionLogLossWatch lossWatch,
    DecisionLogger? decisionLog = null,
    EntraSyncService? sync = null,
    IServiceProvider? services = null,
    IOptions<SyncOptions>? syncOptions = null)
{
    /// <summary>How long an admin's health check waits for the governance queue before calling it unreachable.</summary>
    public static readonly TimeSpan QueueProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A public route: the edge does not authenticate it; an admin's token, when sent, is checked here (optional).</summary>
    public async Task<IResult> HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var status = snapshots.Status();
        var log = decisionLog?.Health ?? DecisionLogHealth.Ok;
        var stats = decisionLog?.GetStats();
        var losing = stats is not null && lossWatch.Losing(stats.LostTotal);
        var reasons = new List<string>();
        if (status.Any(s => s.Stale))
            reasons.Add($"snapshot-stale: {status.Count(s => s.Stale)} tenant snapshot(s) past the staleness bound; their decisions fail closed");
        if (!log.Healthy)
            reasons.Add(log.Reason!);
        if (losing)
            reasons.Add("decision-log-losing: decision records were lost in the last minutes");
        var healthy = reasons.Count == 0;
        var word = healthy ? "healthy" : "degraded";
        var code = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;

        var caller = await AdminAsync(context, cancellationToken);
        if (caller is null)
            return TypedResults.Json(new HealthSummary(word), statusCode: code);

        var report = new HealthReport(
            word,
            time.GetUtcNow(),
            reasons,
            [.. status.Where(s => s.TenantId == caller.TenantId)],
            log.Healthy ? log.Status : log.Reason!,
            stats is null ? null : new DecisionLogFigures(stats.QueueDepth, stats.MaxQueueDepth, stats.Written, stats.LostTotal, stats.Lost, stats.Spilled, stats.Unjournaled, losing),
            await SyncAsync(caller.TenantId, cancellationToken),
            await GovernanceAsync(cancellationToken));
        return TypedResults.Json(report, statusCode: code);
    }

    private async Task<Caller?> AdminAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Request.Headers.Authorization.Count == 0 && authOptions.Value.Mode != AuthMode.Development)
            return null;
        var (caller, _) = await authenticator.AuthenticateAsync(context, authOptions.Value.AdminRole, cancellationToken);
        // A failed or insufficient token still gets the public answer, not a challenge.
        context.Response.Headers.Remove("WWW-Authenticate");
        return caller;
    }

    private async Task<SyncHealth?> SyncAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (sync is null)
            return null;
        var enabled = syncOptions?.Value.Enabled ?? false;
        JsonElement? status;
        try
        {
            status = await sync.GetStatusAsync(tenantId, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The store is down: the snapshot's store state already says so; health still answers.
            return new SyncHealth(enabled, false, null, null, null, "unavailable");
        }
        if (status is not { ValueKind: JsonValueKind.Object } body)
            return new SyncHealth(enabled, false, null, null, null, null);
        var lastSuccess = Time(body, "lastSuccess");
        return new SyncHealth(
            enabled,
            body.TryGetProperty("running", out var running) && running.ValueKind == JsonValueKind.True,
            lastSuccess,
            lastSuccess is { } last ? Math.Round((time.GetUtcNow() - last).TotalSeconds, 3) : null,
            Time(body, "lastRunCompleted"),
            body.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.String ? outcome.GetString() : null);
    }

    private static DateTimeOffset? Time(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var at) ? at : null;

    private async Task<string> GovernanceAsync(CancellationToken cancellationToken)
    {
        ReviewQueue? reviewQueue;
        try
        {
            // Resolved here, not injected: a host that registers governance without a queue must still answer /health.
            reviewQueue = services?.GetService(typeof(ReviewQueue)) as ReviewQueue;
        }
        catch (InvalidOperationException)
        {
            return "not-configured";
        }
        if (reviewQueue is null)
            return "off";
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probe.CancelAfter(QueueProbeTimeout);
        try
        {
            return (await reviewQueue.Client.ExistsAsync(probe.Token)).Value ? "ok" : "missing";
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or AggregateException)
        {
            // Unreachable, refused or too slow: only a state here; the review announcements log their own failures.
            cancellationToken.ThrowIfCancellationRequested();
            return "unreachable";
        }
    }
}
