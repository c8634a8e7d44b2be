using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog.Tests;

public sealed class DecisionLoggerTests : IDisposable
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "arbiter-dl-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly TestClock _clock = new();

    public void Dispose()
    {
        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    // The memory mode (queue, spill): the journal has its own tests (JournalTests).
    private DecisionLogOptions Options(int capacity = 1000, int batchSize = 100, int maxAttempts = 5, TimeSpan? retryDelay = null) => new()
    {
        Durability = DecisionLogDurability.Memory,
        Capacity = capacity,
        BatchSize = batchSize,
        FlushInterval = TimeSpan.FromSeconds(30),
        SpillDirectory = _spill,
        MaxAttempts = maxAttempts,
        RetryBaseDelay = retryDelay ?? TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = retryDelay ?? TimeSpan.FromMilliseconds(20),
        SpillDrainInterval = TimeSpan.FromMilliseconds(50),
        ShutdownTimeout = TimeSpan.FromSeconds(30),
    };

    private (DecisionLogger Logger, DecisionLogFlusher Flusher) Build(DecisionLogOptions options, IDecisionLogSink sink)
    {
        var logger = new DecisionLogger(Microsoft.Extensions.Options.Options.Create(options), NullLogger<DecisionLogger>.Instance);
        var flusher = new DecisionLogFlusher(logger, sink, _clock, NullLogger<DecisionLogFlusher>.Instance);
        return (logger, flusher);
    }

    [Fact]
    public async Task StopAsync_RecordsQueued_AllStored()
    {
        var sink = new MemorySink();
        var (logger, flusher) = Build(Options(batchSize: 100), sink);
        using (logger)
        using (flusher)
        {
            await flusher.StartAsync(CancellationToken.None);
            for (var i = 0; i < 250; i++)
            {
                Assert.True(logger.TryLog(Records.Make()));
            }

            await flusher.StopAsync(CancellationToken.None);

            Assert.Equal(250, sink.Count);
            var stats = logger.GetStats();
            Assert.Equal(250, stats.Accepted);
            Assert.Equal(250, stats.Written);
            Assert.Equal(0, stats.LostTotal);
            Assert.Equal(0, stats.QueueDepth);
        }
    }

    [Fact]
    public async Task TryLog_AfterStop_SpilledAndStoredAtNextStart()
    {
        var sink = new MemorySink();
        var (logger, flusher) = Build(Options(), sink);
        using (logger)
        using (flusher)
        {
            await flusher.StartAsync(CancellationToken.None);
            await flusher.StopAsync(CancellationToken.None);
            Assert.True(logger.TryLog(Records.Make(id: "late")));
            Assert.Equal(1, logger.GetStats().Spilled);
        }

        var (logger2, flusher2) = Build(Options(), sink);
        using (logger2)
        using (flusher2)
        {
            await flusher2.StartAsync(CancellationToken.None);
            await flusher2.StopAsync(CancellationToken.None);
            Assert.True(sink.Contains("late"));
            Assert.Equal(1, logger2.GetStats().Drained);
        }
    }

    [Fact]
    public async Task WriteBatch_TransientFailures_RetriedAndStoredOnce()
    {
        var sink = new MemorySink();
        var flaky = new FlakySink(sink, failures: 3);
        var options = Options(batchSize: 50);
        var (logger, flusher) = Build(options, flaky);
        using (logger)
        using (flusher)
        {
            for (var i = 0; i < 50; i++)
            {
                logger.TryLog(Records.Make());
            }

            await flusher.StartAsync(CancellationToken.None);
            // Each backoff waits on the injected clock: moved on as each one starts, past its longest (jitter is at most 1.25x).
            await _clock.DriveUntil(flusher.StopAsync(CancellationToken.None), options.RetryMaxDelay * 2);

            Assert.Equal(50, sink.Count);
            var stats = logger.GetStats();
            Assert.Equal(3, stats.Retried);
            Assert.Equal(0, stats.Spilled);
            Assert.Equal(0, stats.LostTotal);
        }
    }

    [Fact]
    public async Task TryLog_BufferFull_SpillsThenDrainsEverything()
    {
        var sink = new MemorySink();
        var (logger, flusher) = Build(Options(capacity: 10, batchSize: 10), sink);
        using (logger)
        using (flusher)
        {
            // The flusher is not running yet: the queue holds 10, the other 90 go to disk, none is refused.
            var ids = new List<string>();
            for (var i = 0; i < 100; i++)
            {
                var record = Records.Make();
                ids.Add(record.Id);
                Assert.True(logger.TryLog(record));
            }

            var before = logger.GetStats();
            Assert.Equal(10, before.QueueDepth);
            Assert.Equal(10, before.MaxQueueDepth);
            Assert.Equal(90, before.Spilled);
            Assert.NotEmpty(Directory.GetFiles(_spill));

            await flusher.StartAsync(CancellationToken.None);
            await flusher.StopAsync(CancellationToken.None);

            Assert.Equal(100, sink.Count);
            Assert.All(ids, id => Assert.True(sink.Contains(id)));
            var after = logger.GetStats();
            Assert.Equal(90, after.Drained);
            Assert.Equal(0, after.LostTotal);
            Assert.Empty(Directory.GetFiles(_spill));
        }
    }

    [Fact]
    public async Task WriteBatch_StoreDownPastRetries_SpilledAndDrainedWhenBack()
    {
        var sink = new SignalSink { Down = true };
        var options = Options(batchSize: 20, maxAttempts: 2, retryDelay: TimeSpan.Zero);
        var (logger, flusher) = Build(options, sink);
        using (logger)
        using (flusher)
        {
            for (var i = 0; i < 20; i++)
            {
                logger.TryLog(Records.Make());
            }

            // A full batch at once: two attempts, spilled; the first drain (due at start) fails twice and leaves it there.
            // Then the flusher waits for the next drain, and that wait is its first timer.
            await flusher.StartAsync(CancellationToken.None);
            await _clock.WhenTimers(1);
            Assert.Equal(20, logger.GetStats().Spilled);
            Assert.Equal(4, sink.Attempts);
            Assert.Equal(0, sink.Inner.Count);

            sink.Down = false;
            await _clock.DriveUntil(sink.WhenStored(20), options.SpillDrainInterval);
            await flusher.StopAsync(CancellationToken.None);

            var stats = logger.GetStats();
            Assert.Equal(20, stats.Drained);
            Assert.Equal(0, stats.LostTotal);
        }
    }

    [Fact]
    public async Task FillAsync_PartialBatch_WrittenWhenTheInjectedClockEndsTheWait()
    {
        var sink = new SignalSink();
        var options = Options(batchSize: 100);
        var (logger, flusher) = Build(options, sink);
        using (logger)
        using (flusher)
        {
            await flusher.StartAsync(CancellationToken.None);
            await _clock.WhenTimers(1); // idle: waits for records at most until the next spill drain is due
            var stored = sink.WhenStored(5);
            for (var i = 0; i < 5; i++)
            {
                logger.TryLog(Records.Make());
            }

            // Five of a batch of 100: written when the wait ends on the fake clock (the idle one, or the flush interval if
            // the flusher took them after it), and not before: no fake time has passed yet.
            Assert.False(stored.IsCompleted);
            await _clock.DriveUntil(stored, options.FlushInterval);
            await flusher.StopAsync(CancellationToken.None);
            Assert.Equal(5, sink.Inner.Count);
        }
    }

    [Fact]
    public async Task TryLog_BufferFullAndSpillUnwritable_CountedLostWithReason()
    {
        // The spill directory lies under a file: it can never be created.
        Directory.CreateDirectory(_spill);
        var blocker = Path.Combine(_spill, "file");
        await File.WriteAllTextAsync(blocker, "x");
        var options = Options(capacity: 1, batchSize: 1);
        options.SpillDirectory = Path.Combine(blocker, "spill");
        var (logger, flusher) = Build(options, new MemorySink());
        using (logger)
        using (flusher)
        {
            Assert.True(logger.TryLog(Records.Make()));
            Assert.False(logger.TryLog(Records.Make()));

            var stats = logger.GetStats();
            Assert.Equal(1, stats.Lost[DecisionLogger.LossReasons.SpillFailed]);
            Assert.Equal(2, stats.Accepted);
        }
    }

    [Fact]
    public async Task Drain_TornSpillLine_CountedLostOthersStored()
    {
        var sink = new MemorySink();
        var (logger, flusher) = Build(Options(capacity: 1, batchSize: 1), sink);
        using (logger)
        using (flusher)
        {
            logger.TryLog(Records.Make());
            logger.TryLog(Records.Make(id: "spilled"));
            logger.Spill.Rotate();
            var segment = Assert.Single(Directory.GetFiles(_spill));
            await File.AppendAllTextAsync(segment, "{\"id\":\"torn");

            await flusher.StartAsync(CancellationToken.None);
            await flusher.StopAsync(CancellationToken.None);

            Assert.True(sink.Contains("spilled"));
            Assert.Equal(2, sink.Count);
            Assert.Equal(1, logger.GetStats().Lost[DecisionLogger.LossReasons.SpillCorrupt]);
        }
    }

    [Fact]
    public void TryLog_Disabled_ReturnsFalseCountsNothing()
    {
        var options = Options();
        options.Enabled = false;
        using var logger = new DecisionLogger(Microsoft.Extensions.Options.Options.Create(options), NullLogger<DecisionLogger>.Instance);

        Assert.False(logger.TryLog(Records.Make()));
        Assert.Equal(0, logger.GetStats().Accepted);
    }

    [Fact]
    public void Validate_BadOptions_ReportsEachSetting()
    {
        var validator = new DecisionLogOptionsValidator();
        var result = validator.Validate(null, new DecisionLogOptions { Capacity = 0, BatchSize = 0, RetentionDays = 0, Buckets = 0, SpillDirectory = "" });

        Assert.True(result.Failed);
        foreach (var key in new[] { "Capacity", "BatchSize", "RetentionDays", "Buckets", "SpillDirectory" })
        {
            Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:" + key, StringComparison.Ordinal));
        }

        // Every default is valid; the spill directory is filled in by the sink from its store (SpillDirectoryTests).
        Assert.True(validator.Validate(null, new DecisionLogOptions { SpillDirectory = DecisionLogOptions.SpillDirectoryFor("test") }).Succeeded);
    }
}
