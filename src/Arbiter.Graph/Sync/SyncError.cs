namespace Arbiter.Graph.Sync;

/// <summary>One failure, safe to store and show: resource plus a message without tokens or secrets.</summary>
public sealed record SyncError(string Resource, string Message);
