namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// A <see cref="MemorySink"/> that tests can wait on without polling the clock: <see cref="WhenStored"/> completes once
/// that many distinct records are stored, <see cref="WhenAttempts"/> once that many writes were tried. While
/// <see cref="Down"/> is set, every write fails (transient).
/// </summary>
internal sealed class SignalSink : IDecisionLogSink
{
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private int _attempts;

    public MemorySink Inner { get; } = new();

    public volatile bool Down;

    public int Attempts => Volatile.Read(ref _attempts);

    public Task WhenStored(int count) => When(() => Inner.Count >= count);

    public Task WhenAttempts(int count) => When(() => Attempts >= count);

    public async Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        try
        {
            Interlocked.Increment(ref _attempts);
            if (Down)
            {
                throw new IOException("transient: store unavailable");
            }

            await Inner.WriteBatchAsync(records, cancellationToken);
        }
        finally
        {
            Check();
        }
    }

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    private Task When(Func<bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((condition, done));
        }

        Check();
        // Bounded: a broken flusher fails the test instead of hanging it (not a timing assertion).
        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private void Check()
    {
        lock (_waiters)
        {
            _waiters.RemoveAll(w =>
            {
                if (!w.Condition())
                {
                    return false;
                }

                w.Done.TrySetResult();
                return true;
            });
        }
    }
}
