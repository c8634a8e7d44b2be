using Microsoft.Extensions.Time.Testing;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when a timer is created — that is when the flusher starts a wait (flush
/// interval, idle wake-up, retry backoff) — so a test advances the clock exactly when the flusher waits on it, never
/// by polling nor sleeping.
/// </summary>
internal sealed class TestClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _timers;

    public TestClock()
        : base(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Timers created so far.</summary>
    public int Timers
    {
        get
        {
            lock (_lock)
            {
                return _timers;
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> timers have been created in all.</summary>
    public Task WhenTimers(int count)
    {
        lock (_lock)
        {
            if (_timers >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }

    /// <summary>
    /// Until <paramref name="done"/> completes: each time the flusher starts a wait, moves the clock by <paramref name="step"/>
    /// (which must cover the longest wait the test expects, or that wait never ends).
    /// </summary>
    public async Task DriveUntil(Task done, TimeSpan step)
    {
        var seen = 0;
        while (!done.IsCompleted)
        {
            await Task.WhenAny(done, WhenTimers(seen + 1));
            seen = Timers;
            Advance(step);
        }

        await done;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> ready = [];
        lock (_lock)
        {
            _timers++;
            _waiters.RemoveAll(w =>
            {
                if (w.Count > _timers)
                {
                    return false;
                }

                ready.Add(w.Done);
                return true;
            });
        }

        ready.ForEach(done => done.TrySetResult());
        return timer;
    }
}
