namespace Arbiter.DecisionLog;

/// <summary>
/// Whether the decision log keeps its promise (<see cref="DecisionLogger.Health"/>). <see cref="Reason"/> names what is
/// wrong without internals (the logs have the error): safe for an anonymous health check.
/// </summary>
public readonly record struct DecisionLogHealth(bool Healthy, string? Reason)
{
    public static readonly DecisionLogHealth Ok = new(true, null);

    /// <summary>The journal could not be written (disk full, no permission): answers are no longer durable.</summary>
    public const string JournalFailed = "journal-failed: the decision journal cannot be written; answered decisions are not durable until it can";

    /// <summary>The sink failed <c>MaxAttempts</c> times in a row: records wait on disk (or in memory) until it takes them.</summary>
    public const string SinkFailing = "sink-failing: the decision log store refuses writes; records wait locally";

    public string Status => Healthy ? "healthy" : "degraded";
}
