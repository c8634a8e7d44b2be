namespace Arbiter.Graph.Sync;

/// <summary>Progress of a run, reported after each stored page (for the run-now endpoint and the CLI).</summary>
/// <param name="TenantId">Arbiter tenant.</param>
/// <param name="Resource"><c>users</c>, <c>groups</c> or <c>agents</c>.</param>
/// <param name="Phase"><c>started</c>, <c>page</c> (a page is stored and checkpointed), <c>sweep</c>, <c>completed</c>, <c>failed</c>.</param>
/// <param name="Pages">Pages stored so far for this resource in this run.</param>
/// <param name="Items">Entries applied so far for this resource in this run.</param>
public sealed record SyncProgress(string TenantId, string Resource, string Phase, int Pages, int Items);
