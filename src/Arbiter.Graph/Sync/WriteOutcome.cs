namespace Arbiter.Graph.Sync;

/// <summary>What <see cref="DocumentWriter"/> did to one document.</summary>
internal enum WriteOutcome { Unchanged, Written, Deleted }
