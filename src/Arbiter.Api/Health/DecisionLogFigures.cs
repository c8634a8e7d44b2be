namespace Arbiter.Api.Health;

/// <summary>
/// The decision log as /health reports it to an admin (counts since the process started): <see cref="Backlog"/> records
/// waiting in memory, <see cref="Lost"/> records that will never be stored (by reason in <see cref="LostByReason"/>),
/// <see cref="Unjournaled"/> answered while the journal could not be written, <see cref="Losing"/> true while the lost
/// count grew recently (<see cref="DecisionLogLossWatch"/>).
/// </summary>
public sealed record DecisionLogFigures(int Backlog, int MaxBacklog, long Written, long Lost, IReadOnlyDictionary<string, long> LostByReason, long Spilled, long Unjournaled, bool Losing);
