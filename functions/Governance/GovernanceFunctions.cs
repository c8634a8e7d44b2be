using Arbiter.Api.Governance;
using Arbiter.Api.Http;
using Arbiter.Runtime.Snapshots;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Reviews;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Functions.Governance;

/// <summary>
/// Drift detection and recertification: a change-feed timer (every minute: changes since the persisted cursor, only
/// affected agents recomputed), a daily timer (periodic reviews, time-based findings), an hourly timer (overdue
/// reviews get the configured default action), and the review-task queue (delivery recorded).
/// One tenant's failure is logged and does not stop the others.
/// </summary>
public sealed partial class GovernanceTimers(
    DriftDetector drift, ReviewScheduler scheduler, OverdueSweeper overdue, ReviewDelivery delivery,
    IOptions<SnapshotOptions> snapshots, ILogger<GovernanceTimers> logger)
{
    [Function("DriftChangeFeed")]
    public Task DriftChangeFeed([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        ForEachTenantAsync("drift", t => drift.RunAsync(t, cancellationToken));

    [Function("GovernanceDaily")]
    public Task Daily([TimerTrigger("0 30 3 * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        ForEachTenantAsync("periodic-review", async t =>
        {
            await scheduler.OpenPeriodicReviewsAsync(t, cancellationToken);
            await drift.RecheckAsync(t, null, cancellationToken);
        });

    [Function("ReviewOverdueSweep")]
    public Task Overdue([TimerTrigger("0 15 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        ForEachTenantAsync("overdue", t => overdue.RunAsync(t, cancellationToken));

    [Function("ReviewTaskDelivered")]
    public Task Delivered([QueueTrigger("%Governance:ReviewQueue%", Connection = "AzureWebJobsStorage")] string message, CancellationToken cancellationToken) =>
        delivery.RecordAsync(message, cancellationToken);

    private async Task ForEachTenantAsync(string job, Func<string, Task> run)
    {
        foreach (var tenant in snapshots.Value.TenantList)
        {
            try
            {
                await run(tenant);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, job, tenant, e);
            }
        }
    }

    [LoggerMessage(EventId = 9100, Level = LogLevel.Error, Message = "Governance job {Job} failed for tenant {TenantId}")]
    private static partial void LogFailed(ILogger logger, string job, string tenantId, Exception exception);
}

/// <summary>Findings, review tasks and reviewer actions over HTTP (admin role).</summary>
[RequiresRole(CallerRole.Admin)]
public sealed class GovernanceFunctions(GovernanceHandlers handlers)
{
    [Function("GovernanceFindings")]
    public Task<IResult> Findings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = GovernanceHandlers.FindingsRoute)] HttpRequest request, CancellationToken ct) =>
        handlers.ListFindingsAsync(request.HttpContext, request.Caller(), ct);

    [Function("GovernanceTasks")]
    public Task<IResult> Tasks([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = GovernanceHandlers.TasksRoute)] HttpRequest request, CancellationToken ct) =>
        handlers.ListTasksAsync(request.HttpContext, request.Caller(), ct);

    [Function("GovernanceTask")]
    public Task<IResult> Task([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = GovernanceHandlers.TaskRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.GetTaskAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("GovernanceApprove")]
    public Task<IResult> Approve([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GovernanceHandlers.ApproveRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.ApproveTaskAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("GovernanceRevoke")]
    public Task<IResult> Revoke([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GovernanceHandlers.RevokeRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.RevokeTaskAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("GovernanceSuspend")]
    public Task<IResult> Suspend([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GovernanceHandlers.SuspendRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.SuspendTaskAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("GovernanceDriftRun")]
    public Task<IResult> DriftRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GovernanceHandlers.DriftRunRoute)] HttpRequest request, CancellationToken ct) =>
        handlers.RunDriftAsync(request.HttpContext, request.Caller(), ct);

    [Function("GovernanceEntitlements")]
    public Task<IResult> Entitlements([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = GovernanceHandlers.EntitlementsRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.GetEntitlementsAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("GovernanceCertify")]
    public Task<IResult> Certify([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GovernanceHandlers.CertifyRoute)] HttpRequest request, string id, CancellationToken ct) =>
        handlers.CertifyAgentAsync(request.HttpContext, request.Caller(), id, ct);
}
