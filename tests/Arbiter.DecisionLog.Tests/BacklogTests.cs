using Microsoft.Extensions.Logging.Abstractions;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// <c>DecisionLog:MaxBacklog</c>: with more journal records unstored than that, an answer waits (after its record is
/// written) until the flusher stores enough, at most <c>MaxBacklogWait</c>; never while the sink is failing; never with 0.
/// No flusher runs until a test starts one, so the backlog is exactly what the test appended.
/// </summary>
public sealed class BacklogTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-backlog-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly TestClock _clock = new();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private DecisionLogger Logger(int maxBacklog = 10) => new(
        Microsoft.Extensions.Options.Options.Create(new DecisionLogOptions
        {
            Durability = DecisionLogDurability.Journal,
            Capacity = 1000,
            BatchSize = 5,
            MaxBacklog = maxBacklog,
            MaxBacklogWait = Wait,
            FlushInterval = TimeSpan.FromMilliseconds(10),
            SpillDirectory = _directory,
            MaxAttempts = 2,
            RetryBaseDelay = TimeSpan.Zero,
            RetryMaxDelay = TimeSpan.Zero,
            SpillDrainInterval = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(30),
        }),
        NullLogger<DecisionLogger>.Instance, JournalFiles.Default, _clock);

    private DecisionLogFlusher Flusher(DecisionLogger logger, IDecisionLogSink sink) =>
        new(logger, sink, _clock, NullLogger<DecisionLogFlusher>.Instance);

    private static ValueTask Append(DecisionLogger logger) => logger.LogAllAsync([.. Enumerable.Range(0, 5).Select(_ => Records.Make())]);

    [Fact]
    public async Task LogAllAsync_BacklogOverMaxBacklog_AnswerWaitsUntilTheFlusherStores()
    {
        using var logger = Logger();
        await Append(logger);
        await Append(logger); // 10 unstored: at the bound, not over it

        var third = Append(logger).AsTask(); // 15 > 10

        Assert.False(third.IsCompleted);
        var sink = new SignalSink();
        var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);
        await _clock.DriveUntil(third, TimeSpan.FromMilliseconds(10));
        Assert.True(sink.Inner.Count >= 5);
        Assert.Equal(1, logger.GetStats().BacklogWaits);
        Assert.Equal(0, logger.GetStats().BacklogWaitsExpired);
        await _clock.DriveUntil(flusher.StopAsync(CancellationToken.None), TimeSpan.FromMilliseconds(10));
        Assert.Equal(15, sink.Inner.Count);
    }

    [Fact]
    public async Task LogAllAsync_NothingStores_AnswerGoesAfterMaxBacklogWait()
    {
        using var logger = Logger();
        await Append(logger);
        await Append(logger);

        var third = Append(logger).AsTask();
        _clock.Advance(Wait - TimeSpan.FromTicks(1));
        Assert.False(third.IsCompleted);
        _clock.Advance(TimeSpan.FromTicks(1));
        await third.WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a lost timer fails the test instead of hanging it

        Assert.Equal(1, logger.GetStats().BacklogWaitsExpired);
    }

    [Fact]
    public async Task LogAllAsync_SinkFailing_WaitingAnswersGoAndLaterOnesDoNotWait()
    {
        using var logger = Logger();
        await Append(logger);
        await Append(logger);
        var third = Append(logger).AsTask();
        var sink = new SignalSink { Down = true };
        var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);

        // MaxAttempts failed writes in a row: the sink is failing and the journal is the buffer; no answer waits on it.
        await _clock.DriveUntil(third, TimeSpan.FromMilliseconds(10));
        Assert.False(logger.Health.Healthy);
        Assert.True(Append(logger).AsTask().IsCompleted);
        Assert.Equal(0, logger.GetStats().BacklogWaitsExpired);
        sink.Down = false;
        await _clock.DriveUntil(flusher.StopAsync(CancellationToken.None), TimeSpan.FromMilliseconds(10));
        Assert.Equal(20, sink.Inner.Count);
    }

    [Fact]
    public async Task LogAllAsync_MaxBacklogZero_NeverWaits()
    {
        using var logger = Logger(maxBacklog: 0);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(Append(logger).AsTask().IsCompleted);
        }

        Assert.Equal(50, logger.Journal!.UnreadRecords);
        Assert.Equal(0, logger.GetStats().BacklogWaits);
        await Task.CompletedTask;
    }

    [Fact]
    public void Validate_MaxBacklogBelowBatchOrWaitTooLong_Refused()
    {
        var validator = new DecisionLogOptionsValidator();
        var result = validator.Validate(null, new DecisionLogOptions
        {
            SpillDirectory = DecisionLogOptions.SpillDirectoryFor("test"), BatchSize = 100, MaxBacklog = 50, MaxBacklogWait = TimeSpan.FromMinutes(2),
        });

        Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:MaxBacklog ", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:MaxBacklogWait", StringComparison.Ordinal));
        Assert.True(validator.Validate(null, new DecisionLogOptions { SpillDirectory = DecisionLogOptions.SpillDirectoryFor("test"), MaxBacklog = 0 }).Succeeded);
    }
}
