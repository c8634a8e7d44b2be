namespace Arbiter.Api.Health;

/// <summary>
/// The caller's tenant's Entra ID sync: whether the timer runs it, the last successful run and how long ago that was
/// (<see cref="LagSeconds"/>, null when it never succeeded), and the last run's outcome ("unavailable" when the store
/// could not be read for it).
/// </summary>
public sealed record SyncHealth(bool Enabled, bool Running, DateTimeOffset? LastSuccess, double? LagSeconds, DateTimeOffset? LastRunCompleted, string? Outcome);
