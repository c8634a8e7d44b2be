using Arbiter.Api.Http;
using Arbiter.Runtime.Snapshots;
using Arbiter.Api.Sync;
using Arbiter.Graph.Sync;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Functions.Sync;

/// <summary>
/// Entra ID sync. The timer is a singleton across instances (the host's blob lease) and the service never runs one
/// tenant twice at once in a process, so runs of one tenant never overlap. Failures are recorded in the sync status
/// document, not rethrown, so one tenant's failure neither stops the others nor triggers a host retry storm.
/// </summary>
public sealed partial class EntraSyncFunctions(
    EntraSyncService sync, SyncHandlers handlers, IOptions<SyncOptions> options, IOptions<SnapshotOptions> snapshots, ILogger<EntraSyncFunctions> logger)
{
    [Function("EntraSyncTimer")]
    public async Task Timer([TimerTrigger("%Sync:Schedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
            return;
        // The tenants this app serves, plus any with their own Graph settings (Graph:Tenants:{id}).
        var tenants = snapshots.Value.TenantList.Union(sync.ConfiguredTenants, StringComparer.Ordinal);
        foreach (var result in await sync.SyncAllAsync(tenants, null, cancellationToken))
            LogResult(logger, result.TenantId, result.Outcome, result.Duration.TotalSeconds, result.Errors.Count);
    }

    [Function("EntraSyncRun")]
    [RequiresRole(CallerRole.Admin)]
    public Task<IResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SyncHandlers.RunRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        handlers.RunAsync(request.Caller(), cancellationToken);

    [Function("EntraSyncStatus")]
    [RequiresRole(CallerRole.Admin)]
    public Task<IResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SyncHandlers.StatusRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        handlers.StatusAsync(request.Caller(), cancellationToken);

    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Entra sync of tenant {TenantId}: {Outcome} in {Seconds:F1}s with {Errors} error(s)")]
    private static partial void LogResult(ILogger logger, string tenantId, SyncOutcome outcome, double seconds, int errors);
}
