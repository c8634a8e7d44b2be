namespace Arbiter.Cli;

/// <summary>
/// The time the engine sees while the CLI re-decides something at a given moment (a policy test's <c>now</c>, a
/// recorded decision's time in a replay): set before each evaluation, on one thread.
/// </summary>
internal sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
