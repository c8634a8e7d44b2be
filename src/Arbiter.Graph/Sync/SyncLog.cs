using Microsoft.Extensions.Logging;

namespace Arbiter.Graph.Sync;

/// <summary>Entra sync log events (ids 7000-7099). Never logs tokens, secrets or delta/skip tokens (they are credentials to the directory's change stream).</summary>
internal static partial class SyncLog
{
    [LoggerMessage(7000, LogLevel.Information, "Entra sync of tenant {TenantId} started")]
    public static partial void RunStarted(ILogger logger, string tenantId);

    [LoggerMessage(7001, LogLevel.Information, "Entra sync of tenant {TenantId} ended {Outcome} in {DurationMs} ms with {ErrorCount} errors")]
    public static partial void RunCompleted(ILogger logger, string tenantId, SyncOutcome outcome, long durationMs, int errorCount);

    [LoggerMessage(7002, LogLevel.Information, "Entra sync of tenant {TenantId} skipped: a run is already in progress in this process")]
    public static partial void AlreadyRunning(ILogger logger, string tenantId);

    [LoggerMessage(7003, LogLevel.Information, "Syncing {Resource} of tenant {TenantId} in {Mode} mode")]
    public static partial void ResourceStarted(ILogger logger, string resource, string tenantId, string mode);

    [LoggerMessage(7004, LogLevel.Debug, "Stored page {Page} of {Resource} for tenant {TenantId}: {Items} entries")]
    public static partial void PageStored(ILogger logger, int page, string resource, string tenantId, int items);

    [LoggerMessage(7005, LogLevel.Information, "Synced {Resource} of tenant {TenantId}: {Pages} pages, {Upserted} written, {Unchanged} unchanged, {Deleted} deleted, {Disabled} disabled")]
    public static partial void ResourceCompleted(ILogger logger, string resource, string tenantId, int pages, int upserted, int unchanged, int deleted, int disabled);

    [LoggerMessage(7006, LogLevel.Warning, "Graph says the delta state of {Resource} for tenant {TenantId} is gone ({Reason}); starting a full resync")]
    public static partial void ResyncRequired(ILogger logger, string resource, string tenantId, string reason);

    [LoggerMessage(7007, LogLevel.Warning, "Transient Graph failure ({Failure}) on {Resource} for tenant {TenantId}, attempt {Attempt}; retrying in {DelayMs} ms")]
    public static partial void TransientFailure(ILogger logger, string failure, string resource, string tenantId, int attempt, long delayMs);

    [LoggerMessage(7008, LogLevel.Error, "Syncing {Resource} of tenant {TenantId} failed: {Message}")]
    public static partial void ResourceFailed(ILogger logger, Exception exception, string resource, string tenantId, string message);

    [LoggerMessage(7009, LogLevel.Information, "Full sync of {Resource} for tenant {TenantId} removed {Count} objects absent from Entra")]
    public static partial void Swept(ILogger logger, string resource, string tenantId, int count);

    [LoggerMessage(7010, LogLevel.Information, "Resuming {Resource} of tenant {TenantId} from the checkpoint of an interrupted run")]
    public static partial void Resuming(ILogger logger, string resource, string tenantId);

    [LoggerMessage(7011, LogLevel.Warning, "Entra sync of tenant {TenantId} was cancelled; the next run resumes from the last stored page")]
    public static partial void Cancelled(ILogger logger, string tenantId);

    [LoggerMessage(7012, LogLevel.Error, "Entra sync of tenant {TenantId} could not record its status")]
    public static partial void StatusWriteFailed(ILogger logger, Exception exception, string tenantId);
}
