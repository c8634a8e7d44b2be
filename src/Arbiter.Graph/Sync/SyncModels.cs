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

/// <summary>What one resource (users, groups, agents) did during a run.</summary>
public sealed record SyncCounts(int Pages, int Upserted, int Unchanged, int Deleted, int Disabled, string Mode);

/// <summary>One failure, safe to store and show: resource plus a message without tokens or secrets.</summary>
public sealed record SyncError(string Resource, string Message);

/// <summary>The result of syncing one tenant.</summary>
public sealed record SyncResult(
    string TenantId,
    SyncOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    TimeSpan Duration,
    IReadOnlyDictionary<string, SyncCounts> Counts,
    IReadOnlyList<SyncError> Errors)
{
    public bool Succeeded => Outcome == SyncOutcome.Succeeded;
}

/// <summary>Progress of a run, reported after each stored page (for the run-now endpoint and the CLI).</summary>
/// <param name="TenantId">Arbiter tenant.</param>
/// <param name="Resource"><c>users</c>, <c>groups</c> or <c>agents</c>.</param>
/// <param name="Phase"><c>started</c>, <c>page</c> (a page is stored and checkpointed), <c>sweep</c>, <c>completed</c>, <c>failed</c>.</param>
/// <param name="Pages">Pages stored so far for this resource in this run.</param>
/// <param name="Items">Entries applied so far for this resource in this run.</param>
public sealed record SyncProgress(string TenantId, string Resource, string Phase, int Pages, int Items);

/// <summary>The resources a run syncs, also the keys of <see cref="SyncResult.Counts"/>.</summary>
public static class SyncResources
{
    public const string Users = "users";
    public const string Groups = "groups";
    public const string Agents = "agents";
}
