using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The journal: a record is written (<c>Durability</c> = <c>Journal</c>) or fsync'd (<c>JournalFsync</c>) before
/// <see cref="DecisionLogger.LogAsync"/> completes, fsyncs cover every append written meanwhile, a crash loses nothing acknowledged, and a journal that cannot be written is
/// counted and reported. Delivery after a crash is at least once; the sink's upsert by id stores each record once.
/// </summary>
public sealed class JournalTests : IDisposable
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(10);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-journal-tests-" + Guid.NewGuid().ToString("N")[..8]);
    // Every flusher wait is on this clock: a running flusher moves on only when a test drives it (DriveUntil).
    private readonly TestClock _clock = new();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private DecisionLogOptions Options(int batchSize = 100, long segmentBytes = 1 << 20, int capacity = 1000,
        DecisionLogDurability durability = DecisionLogDurability.Journal) => new()
    {
        Durability = durability,
        Capacity = capacity,
        BatchSize = batchSize,
        FlushInterval = FlushInterval,
        SpillDirectory = _directory,
        JournalSegmentBytes = segmentBytes,
        MaxAttempts = 3,
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        SpillDrainInterval = TimeSpan.FromMilliseconds(50),
        ShutdownTimeout = TimeSpan.FromSeconds(30),
    };

    private static DecisionLogger Logger(DecisionLogOptions options, JournalFiles? files = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options), NullLogger<DecisionLogger>.Instance, files ?? JournalFiles.Default);

    private DecisionLogFlusher Flusher(DecisionLogger logger, IDecisionLogSink sink) =>
        new(logger, sink, _clock, NullLogger<DecisionLogFlusher>.Instance);

    private string[] Segments() =>
        Directory.Exists(_directory) ? Directory.GetFiles(_directory, DecisionJournal.Prefix + "*") : [];

    private static async Task<List<string>> LogManyAsync(DecisionLogger logger, int count)
    {
        var records = Enumerable.Range(0, count).Select(_ => Records.Make()).ToList();
        await Task.WhenAll(records.Select(r => logger.LogAsync(r).AsTask()));
        return [.. records.Select(r => r.Id)];
    }

    /// <summary>One group after the other (each awaited), so that small segments fill and rotate.</summary>
    private static async Task<List<string>> LogInGroupsAsync(DecisionLogger logger, int groups, int perGroup)
    {
        var ids = new List<string>();
        for (var group = 0; group < groups; group++)
        {
            ids.AddRange(await LogManyAsync(logger, perGroup));
        }

        return ids;
    }

    /// <summary>The ids of a segment's lines, in file order.</summary>
    private static async Task<List<string>> IdsInAsync(string path)
    {
        var bytes = await File.ReadAllBytesAsync(path);
        var ids = new List<string>();
        foreach (var range in bytes.AsSpan().Split((byte)'\n'))
        {
            if (bytes.AsSpan()[range].Length > 0)
                ids.Add(JournalLine.Read(bytes.AsSpan()[range])?.Id ?? "(unreadable)");
        }
        return ids;
    }

    private static string Line(DecisionRecord record) =>
        JsonSerializer.Serialize(record, DecisionLogJsonContext.Default.DecisionRecord) + "\n";

    [Theory]
    [InlineData(DecisionLogDurability.Journal)]
    [InlineData(DecisionLogDurability.JournalFsync)]
    public async Task LogAsync_Completed_RecordIsInTheJournalFileAndStoredAtStop(DecisionLogDurability durability)
    {
        var files = new TestJournalFiles();
        var sink = new MemorySink();
        using var logger = Logger(Options(durability: durability), files);
        using var flusher = Flusher(logger, sink);

        var ids = await LogManyAsync(logger, 250);

        // Written before the call completed: every record is a line of the journal, none is in the sink yet.
        Assert.Equal(ids, await IdsInAsync(Assert.Single(Segments())));
        Assert.Equal(0, sink.Count);

        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(250, sink.Count);
        Assert.Empty(Segments());
        var stats = logger.GetStats();
        Assert.Equal(250, stats.Accepted);
        Assert.Equal(0, stats.LostTotal);
        Assert.Equal(0, stats.Unjournaled);
        Assert.True(logger.Health.Healthy);
        // With Journal the fsyncs run behind the answers (none at all when the segment was drained and deleted first).
        logger.Journal!.Dispose();
        Assert.True(logger.GetStats().JournalCommits >= (durability == DecisionLogDurability.JournalFsync ? 1 : 0));
        Assert.Equal(files.Fsyncs, logger.GetStats().JournalCommits);
    }

    [Fact]
    public async Task LogAsync_JournalFsyncHeld_AnsweredOnceWrittenAndFsyncdBehind()
    {
        var files = new TestJournalFiles();
        using var logger = Logger(Options(), files);

        // The first append's fsync is held: with Journal, neither it nor the appends after it wait for the disk.
        var held = files.HoldNextFsync();
        var first = logger.LogAsync(Records.Make(id: "first")).AsTask();
        await held;
        JournalSegment segment;
        try
        {
            var rest = Enumerable.Range(0, 100).Select(i => logger.LogAsync(Records.Make(id: $"r{i}")).AsTask()).ToList();
            Assert.True(first.IsCompletedSuccessfully);
            Assert.All(rest, t => Assert.True(t.IsCompletedSuccessfully));
            segment = Assert.Single(logger.Journal!.Segments());
            Assert.Equal(0, segment.Synced);
            Assert.Equal("r99", (await IdsInAsync(segment.Path))[^1]);
        }
        finally
        {
            files.Release(); // a failed assertion must not leave the syncer held: disposing the logger would wait for it
        }
        logger.Journal.Dispose(); // stopping fsyncs whatever is still unsynced, then ends the syncer

        Assert.Equal(segment.Committed, segment.Synced);
        Assert.Equal(2, files.Fsyncs); // the held one, then one for the 100 written meanwhile
        Assert.Equal(101, logger.GetStats().Accepted);
    }

    [Fact]
    public async Task LogAsync_FsyncModeManyConcurrentAppends_OneFsyncPerGroup()
    {
        var files = new TestJournalFiles();
        using var logger = Logger(Options(durability: DecisionLogDurability.JournalFsync), files);

        // The first append's fsync is held: the next 100 appends pile up behind it.
        var held = files.HoldNextFsync();
        var first = logger.LogAsync(Records.Make()).AsTask();
        await held;
        var rest = Enumerable.Range(0, 100).Select(_ => logger.LogAsync(Records.Make()).AsTask()).ToList();
        Assert.False(first.IsCompleted);
        Assert.All(rest, t => Assert.False(t.IsCompleted));

        files.Release();
        await first;
        await Task.WhenAll(rest);

        // Two fsyncs: the first record alone, then all 100 written while it was held.
        Assert.Equal(2, files.Fsyncs);
        Assert.Equal(2, logger.GetStats().JournalCommits);
    }

    [Fact]
    public async Task LogAllAsync_FsyncModeBatch_OneFsync()
    {
        var files = new TestJournalFiles();
        using var logger = Logger(Options(durability: DecisionLogDurability.JournalFsync), files);

        await logger.LogAllAsync([.. Enumerable.Range(0, 100).Select(_ => Records.Make())]);

        Assert.Equal(1, files.Fsyncs);
        Assert.Equal(100, logger.GetStats().Accepted);
    }

    [Fact]
    public async Task Sync_FsyncFails_HealthDegradedSegmentSealedRecordsStillStored()
    {
        var files = new TestJournalFiles { FailFsync = true };
        var sink = new MemorySink();
        using var logger = Logger(Options(durability: DecisionLogDurability.JournalFsync), files);
        using var flusher = Flusher(logger, sink);

        await logger.LogAsync(Records.Make(id: "unsynced"));

        // Promised an fsync it did not get: answered, counted, degraded; the segment is never written to again.
        Assert.Equal(DecisionLogHealth.JournalFailed, logger.Health.Reason);
        Assert.Equal(1, logger.GetStats().Unjournaled);
        var failed = Assert.Single(logger.Journal!.Segments());
        Assert.True(failed.Sealed);

        files.FailFsync = false;
        await logger.LogAsync(Records.Make(id: "synced"));
        Assert.True(logger.Health.Healthy);
        Assert.Equal(2, logger.Journal.Segments().Length);

        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);
        Assert.True(sink.Contains("unsynced"));
        Assert.True(sink.Contains("synced"));
        Assert.Equal(0, logger.GetStats().LostTotal);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Crash_AcknowledgedRecords_StoredByTheNextStart()
    {
        var sink = new MemorySink();
        var crashed = Logger(Options(segmentBytes: 4096));
        var ids = await LogInGroupsAsync(crashed, 30, 10);
        Assert.True(Segments().Length > 1, "small segments: the journal rotated");
        crashed.Crash();

        using var logger = Logger(Options(segmentBytes: 4096));
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.All(ids, id => Assert.True(sink.Contains(id), id));
        Assert.Equal(300, sink.Count);
        var stats = logger.GetStats();
        Assert.Equal(300, stats.Recovered);
        Assert.Equal(0, stats.LostTotal);
        Assert.Equal(0, stats.TornTails);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Crash_AfterTheSinkHadThem_SentAgainAndStoredOnce()
    {
        var sink = new SignalSink();
        var crashed = Logger(Options(batchSize: 50));
        var crashedFlusher = Flusher(crashed, sink);
        await crashedFlusher.StartAsync(CancellationToken.None);
        await LogManyAsync(crashed, 200);
        await _clock.DriveUntil(sink.WhenStored(200), FlushInterval);
        crashed.Crash();
        await crashedFlusher.StopAsync(CancellationToken.None);
        crashedFlusher.Dispose();
        // The segment was still open (not sealed), so not deleted: the next start cannot know the sink has it.
        Assert.Single(Segments());

        using var logger = Logger(Options(batchSize: 50));
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        // At least once to the sink, once in the store.
        Assert.Equal(200, sink.Inner.Count);
        Assert.Equal(400, sink.Inner.TotalRecordsWritten);
        Assert.Equal(200, logger.GetStats().Recovered);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Recover_TornFinalLine_DroppedNotCountedLost()
    {
        var crashed = Logger(Options());
        await LogManyAsync(crashed, 10);
        crashed.Crash();
        // The process died inside an append: half a line, no newline. That decision was never answered.
        await File.AppendAllTextAsync(Assert.Single(Segments()), Line(Records.Make(id: "torn"))[..40]);

        var sink = new MemorySink();
        using var logger = Logger(Options());
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(10, sink.Count);
        Assert.False(sink.Contains("torn"));
        var stats = logger.GetStats();
        Assert.Equal(1, stats.TornTails);
        Assert.Equal(0, stats.LostTotal);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Recover_UnreadableLineInside_CountedLostOthersStored()
    {
        var crashed = Logger(Options());
        await LogManyAsync(crashed, 5);
        crashed.Crash();
        await File.AppendAllTextAsync(Assert.Single(Segments()), "{\"id\":\"garbled\nnot json\n" + Line(Records.Make(id: "after")));

        var sink = new MemorySink();
        using var logger = Logger(Options());
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(6, sink.Count);
        Assert.True(sink.Contains("after"));
        var stats = logger.GetStats();
        Assert.Equal(2, stats.Lost[DecisionLogger.LossReasons.JournalCorrupt]);
        Assert.Equal(0, stats.TornTails);
    }

    [Fact]
    public async Task Recover_SegmentOfALiveLogger_LeftAlone()
    {
        var live = Logger(Options());
        await LogManyAsync(live, 5);

        using (var second = Logger(Options()))
        {
            Assert.Empty(second.Journal!.Segments());
        }

        live.Crash();
        using var third = Logger(Options());
        Assert.True(Assert.Single(third.Journal!.Segments()).Recovered);
    }

    [Fact]
    public async Task Segments_SinkDown_KeptAndHealthDegraded_DeletedOnceStored()
    {
        var sink = new SignalSink { Down = true };
        using var logger = Logger(Options(batchSize: 20, segmentBytes: 4096));
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);

        var ids = await LogInGroupsAsync(logger, 10, 10);

        // The attempt after MaxAttempts (3) failures starts only once the flusher has reported the sink failing.
        await _clock.DriveUntil(sink.WhenAttempts(4), FlushInterval);
        Assert.Equal(DecisionLogHealth.SinkFailing, logger.Health.Reason);
        Assert.True(Segments().Length > 1, "the records wait in the journal");

        sink.Down = false;
        await _clock.DriveUntil(sink.WhenStored(100), FlushInterval);
        await flusher.StopAsync(CancellationToken.None);

        Assert.All(ids, id => Assert.True(sink.Inner.Contains(id)));
        Assert.Empty(Segments());
        Assert.True(logger.Health.Healthy);
        Assert.Equal(0, logger.GetStats().LostTotal);
    }

    [Fact]
    public async Task LogAsync_JournalCannotBeWritten_AnsweredCountedDegradedAndStoredThroughMemory()
    {
        var files = new TestJournalFiles { Full = true };
        var sink = new SignalSink();
        // JournalFsync: the append after the disk has room again returns after the fsync that makes the log healthy.
        using var logger = Logger(Options(batchSize: 10, durability: DecisionLogDurability.JournalFsync), files);
        using var flusher = Flusher(logger, sink);
        await flusher.StartAsync(CancellationToken.None);

        await LogManyAsync(logger, 20);

        Assert.False(logger.Health.Healthy);
        Assert.Equal(DecisionLogHealth.JournalFailed, logger.Health.Reason);
        var failed = logger.GetStats();
        Assert.Equal(20, failed.Unjournaled);
        Assert.True(failed.JournalFailures >= 1);
        await _clock.DriveUntil(sink.WhenStored(20), FlushInterval);

        // Space again: the next append is written and fsync'd, and the log is healthy.
        files.Full = false;
        await logger.LogAsync(Records.Make(id: "after"));
        Assert.True(logger.Health.Healthy);

        await flusher.StopAsync(CancellationToken.None);
        Assert.Equal(21, sink.Inner.Count);
        var stats = logger.GetStats();
        Assert.Equal(0, stats.LostTotal);
        Assert.Equal(20, stats.Unjournaled);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Drain_RecordLongerThanAReadChunk_Stored()
    {
        var sink = new MemorySink();
        using var logger = Logger(Options());
        using var flusher = Flusher(logger, sink);
        var big = Records.Make(id: "big") with { ReasonAdmin = new string('x', 3 << 20) };

        await logger.LogAsync(Records.Make());
        await logger.LogAsync(big);
        await logger.LogAsync(Records.Make());
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(3, sink.Count);
        Assert.True(sink.Contains("big"));
        Assert.Equal(0, logger.GetStats().LostTotal);
    }

    [Fact]
    public async Task Drain_CommittedGroupsRetained_StoredFromMemoryWithoutReadingTheFile()
    {
        var sink = new MemorySink();
        using var logger = Logger(Options());
        using var flusher = Flusher(logger, sink);
        var ids = await LogManyAsync(logger, 250);
        Assert.Equal(250, logger.Journal!.RetainedRecords);

        // The file is durable, but the flusher need not read it back: overwrite it, and the records still arrive whole.
        var path = Assert.Single(Segments());
        var length = new FileInfo(path).Length;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            file.Write(Enumerable.Repeat((byte)'x', (int)length).ToArray());
        }

        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.All(ids, id => Assert.True(sink.Contains(id), id));
        Assert.Equal(0, logger.GetStats().LostTotal);
        Assert.Equal(0, logger.Journal.RetainedRecords);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Drain_MoreCommittedThanCapacity_RestReadFromTheFile()
    {
        var sink = new MemorySink();
        // 20 records of memory at most: most groups are not retained, so the flusher reads the gaps from the file.
        using var logger = Logger(Options(batchSize: 20, capacity: 20, segmentBytes: 8192));
        using var flusher = Flusher(logger, sink);
        var ids = await LogInGroupsAsync(logger, 15, 10);
        Assert.True(logger.Journal!.RetainedRecords <= 20);

        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(150, sink.Count);
        Assert.All(ids, id => Assert.True(sink.Contains(id), id));
        Assert.Equal(0, logger.GetStats().LostTotal);
        Assert.Equal(0, logger.Journal.RetainedRecords);
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task Drain_GroupLargerThanABatch_StoredInBatchesOfBatchSize()
    {
        var sink = new MemorySink();
        using var logger = Logger(Options(batchSize: 100));
        using var flusher = Flusher(logger, sink);
        var records = Enumerable.Range(0, 250).Select(_ => Records.Make()).ToList();
        await logger.LogAllAsync(records);

        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);

        Assert.Equal(250, sink.Count);
        Assert.Equal(3, sink.Writes); // 100 + 100 + 50 from one group of 250
        Assert.All(records, r => Assert.True(sink.Contains(r.Id), r.Id));
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task LogAsync_MemoryMode_CompletesAtOnceNoJournal()
    {
        var options = Options();
        options.Durability = DecisionLogDurability.Memory;
        var sink = new MemorySink();
        using var logger = Logger(options);
        using var flusher = Flusher(logger, sink);

        var task = logger.LogAsync(Records.Make());

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Null(logger.Journal);
        await flusher.StartAsync(CancellationToken.None);
        await flusher.StopAsync(CancellationToken.None);
        Assert.Equal(1, sink.Count);
        Assert.Empty(Segments());
    }

    [Fact]
    public void Validate_BadJournalSettings_Reported()
    {
        var result = new DecisionLogOptionsValidator().Validate(null, new DecisionLogOptions
        {
            SpillDirectory = _directory,
            Durability = (DecisionLogDurability)7,
            JournalSegmentBytes = 10,
            JournalSyncInterval = TimeSpan.FromSeconds(-1),
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:Durability", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:JournalSegmentBytes", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("DecisionLog:JournalSyncInterval", StringComparison.Ordinal));
        Assert.Equal(DecisionLogDurability.Journal, new DecisionLogOptions().Durability);
    }
}
