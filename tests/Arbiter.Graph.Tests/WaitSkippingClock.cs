using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Graph.Tests;

/// <summary>
/// A fake clock that moves only when the code under test waits on it: every timer it creates (a <c>Task.Delay</c> on
/// this provider — a Retry-After or a backoff) advances the underlying <see cref="FakeTimeProvider"/> by the timer's
/// due time at once, so the wait completes without a real second passing and the clock reads as if it had.
/// </summary>
public sealed class WaitSkippingClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<TimeSpan> _waits = [];

    /// <summary>The clock underneath; a test may advance it itself.</summary>
    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Every wait the code under test started, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_gate)
            {
                return [.. _waits];
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_gate)
            {
                _waits.Add(dueTime);
            }

            // Fires the timer (and any other now due) synchronously; Task.Delay copes with a timer firing before it returns.
            Fake.Advance(dueTime);
        }

        return timer;
    }
}
