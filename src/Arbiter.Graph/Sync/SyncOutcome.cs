namespace Arbiter.Graph.Sync;

/// <summary>How a tenant run ended.</summary>
public enum SyncOutcome
{
    /// <summary>Every resource synced.</summary>
    Succeeded,

    /// <summary>At least one resource failed; see <see cref="SyncResult.Errors"/>. Others may still have synced.</summary>
    Failed,

    /// <summary>Another run of this tenant was in progress in this process; nothing was done.</summary>
    AlreadyRunning,

    /// <summary>The caller cancelled; the checkpoint holds the last stored page and the next run resumes there.</summary>
    Cancelled,
}
