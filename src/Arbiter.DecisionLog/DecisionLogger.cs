using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog;

/// <summary>
/// What the decision path calls: <see cref="LogAsync"/> / <see cref="LogAllAsync"/>. With <c>DecisionLog:Durability</c>
/// <list type="bullet">
/// <item><c>Journal</c> (default): the record is written to the local journal before the call completes (so a crash of
/// the process loses no answered decision) and fsync'd right behind it; with <c>JournalFsync</c> the call completes only
/// once it is fsync'd (group commit: one fsync for every record written meanwhile). The flusher sends the journal to the
/// sink and deletes what the sink has. When the journal cannot be written, the call still completes (the decision is
/// answered), the record is counted <c>unjournaled</c>, health is degraded, and the record goes the memory way below —
/// so only a crash before it is stored loses it.</item>
/// <item><c>Memory</c>: the call completes at once. The record goes into a bounded in-memory queue (<c>Capacity</c>); when
/// that is full, to the local spill file; only when that append fails too is it lost (counted <c>spill-failed</c>).</item>
/// </list>
/// Nothing is dropped silently: every record is counted as written, waiting (journal, queue, spill) or lost with a reason.
/// </summary>
public sealed partial class DecisionLogger : IDisposable
{
    public const string MeterName = "Arbiter.DecisionLog";

    public static class LossReasons
    {
        /// <summary>The queue was full (or closed) and appending to the spill file failed.</summary>
        public const string SpillFailed = "spill-failed";

        /// <summary>A spilled line could not be read back (torn by a crash mid-append).</summary>
        public const string SpillCorrupt = "spill-corrupt";

        /// <summary>A journal line could not be read back (not a torn final line, which was never acknowledged).</summary>
        public const string JournalCorrupt = "journal-corrupt";

        /// <summary>The sink refused the record permanently (<see cref="DecisionLogRejectedException"/>).</summary>
        public const string Rejected = "rejected";
    }

    private readonly Channel<DecisionRecord> _queue;
    private readonly DecisionLogOptions _options;
    private readonly ILogger<DecisionLogger> _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _writtenCounter;
    private readonly Counter<long> _retriedCounter;
    private readonly Counter<long> _spilledCounter;
    private readonly Counter<long> _drainedCounter;
    private readonly Counter<long> _lostCounter;
    private readonly Counter<long> _unjournaledCounter;
    private readonly Counter<long> _journalFailuresCounter;
    private readonly ConcurrentDictionary<string, long> _lost = new(StringComparer.Ordinal);
    // Released on every journal commit and fallback enqueue: the flusher waits on it instead of polling.
    private readonly SemaphoreSlim _work = new(0);
    private long _accepted;
    private long _written;
    private long _retried;
    private long _spilled;
    private long _drained;
    private long _batches;
    private long _unjournaled;
    private long _recovered;
    private long _tornTails;
    private int _maxQueueDepth;
    private volatile bool _sinkFailing;
    private int _journalFailing; // 1 from a failed group commit until one succeeds: logs the change once, not per group
    private long _wakeAt = 1; // unread journal records at which a commit wakes the flusher (set by the flusher)
    private readonly TimeProvider _time;
    // Completed (and replaced) whenever the backlog is back under MaxBacklog, the sink fails or the log stops: what an
    // answer waiting for the backlog waits on.
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _backlogWaits;
    private long _backlogWaitsExpired;

    public DecisionLogger(IOptions<DecisionLogOptions> options, ILogger<DecisionLogger> logger)
        : this(options, logger, JournalFiles.Default)
    {
    }

    /// <summary>With the clock that bounds an answer's wait for the backlog (<see cref="DecisionLogOptions.MaxBacklogWait"/>).</summary>
    public DecisionLogger(IOptions<DecisionLogOptions> options, ILogger<DecisionLogger> logger, TimeProvider time)
        : this(options, logger, JournalFiles.Default, time)
    {
    }

    internal DecisionLogger(IOptions<DecisionLogOptions> options, ILogger<DecisionLogger> logger, JournalFiles files, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<DecisionRecord>(new BoundedChannelOptions(_options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite returns false when full: we spill, never block, never drop
            SingleReader = true,
            SingleWriter = false,
        });
        Spill = new DecisionSpill(_options.SpillDirectory);
        if (_options.Enabled && _options.Durability is DecisionLogDurability.Journal or DecisionLogDurability.JournalFsync)
        {
            var fsyncBeforeAnswer = _options.Durability == DecisionLogDurability.JournalFsync;
            Journal = new DecisionJournal(_options.SpillDirectory, _options.JournalSegmentBytes, fsyncBeforeAnswer,
                fsyncBeforeAnswer ? TimeSpan.Zero : _options.JournalSyncInterval, _options.Capacity, files, OnJournalCommitted, OnJournalFailed, OnJournalSyncFailed);
            if (Journal.Failure is { } failure)
            {
                LogJournalUnreadable(_logger, Journal.Directory, failure);
            }
        }

        _meter = new Meter(MeterName);
        _writtenCounter = _meter.CreateCounter<long>("arbiter.decision_log.written", "{record}", "Records stored by the sink.");
        _retriedCounter = _meter.CreateCounter<long>("arbiter.decision_log.retried", "{batch}", "Store writes retried after a failure.");
        _spilledCounter = _meter.CreateCounter<long>("arbiter.decision_log.spilled", "{record}", "Records written to the local spill file.");
        _drainedCounter = _meter.CreateCounter<long>("arbiter.decision_log.drained", "{record}", "Spilled records moved into the store.");
        _lostCounter = _meter.CreateCounter<long>("arbiter.decision_log.lost", "{record}", "Records lost, by reason.");
        _unjournaledCounter = _meter.CreateCounter<long>("arbiter.decision_log.unjournaled", "{record}", "Decisions answered while the journal could not be written (not durable).");
        _journalFailuresCounter = _meter.CreateCounter<long>("arbiter.decision_log.journal_failures", "{failure}", "Journal writes and fsyncs that failed.");
        _meter.CreateObservableGauge("arbiter.decision_log.queue_depth", () => _queue.Reader.Count, "{record}", "Records waiting in memory.");
        _meter.CreateObservableCounter("arbiter.decision_log.journal_commits", () => Journal?.Commits ?? 0, "{fsync}", "Journal fsyncs (each covers every record written while the one before ran).");
        _meter.CreateObservableGauge("arbiter.decision_log.degraded", () => Health.Healthy ? 0 : 1, "{state}", "1 while the decision log cannot keep its promise (see /health).");
    }

    public bool Enabled => _options.Enabled;

    /// <summary>
    /// Healthy while the log keeps its promise. Degraded while the journal cannot be written (until a later group commits)
    /// or while the sink has failed <c>MaxAttempts</c> times in a row (until a write succeeds).
    /// </summary>
    public DecisionLogHealth Health =>
        Journal?.Failure is not null ? new DecisionLogHealth(false, DecisionLogHealth.JournalFailed)
        : _sinkFailing ? new DecisionLogHealth(false, DecisionLogHealth.SinkFailing)
        : DecisionLogHealth.Ok;

    internal DecisionLogOptions Options => _options;

    internal ChannelReader<DecisionRecord> Reader => _queue.Reader;

    internal DecisionSpill Spill { get; }

    /// <summary>The journal (null with <c>Durability</c> = <c>Memory</c> or when disabled).</summary>
    internal DecisionJournal? Journal { get; }

    /// <summary>
    /// Logs one record. With the journal, completes once the record is written (<c>Journal</c>: synchronously) or fsync'd
    /// (<c>JournalFsync</c>) — or, when the journal cannot be written, once that is known and counted; in memory mode, at once. Never throws for a logging failure. Cancelling stops the
    /// wait only: the record is logged regardless.
    /// </summary>
    public ValueTask LogAsync(DecisionRecord record, CancellationToken cancellationToken = default)
    {
        if (!_options.Enabled)
        {
            return ValueTask.CompletedTask;
        }

        Interlocked.Increment(ref _accepted);
        if (Journal is null)
        {
            TryEnqueue(record);
            return ValueTask.CompletedTask;
        }

        return WithinBacklog(Journal.Append([record]), cancellationToken);
    }

    /// <summary>Logs records as one append (a batch evaluation): one write and at most one fsync for all of them, never one per record.</summary>
    public ValueTask LogAllAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken = default)
    {
        if (!_options.Enabled || records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        Interlocked.Add(ref _accepted, records.Count);
        if (Journal is null)
        {
            foreach (var record in records)
            {
                TryEnqueue(record);
            }

            return ValueTask.CompletedTask;
        }

        return WithinBacklog(Journal.Append(records), cancellationToken);
    }

    /// <summary>The append's own wait, then, when the backlog is over <c>MaxBacklog</c>, the wait for room (see the option).</summary>
    private ValueTask WithinBacklog(Task<bool> appended, CancellationToken cancellationToken) =>
        OverBacklog() ? WaitForRoomAsync(appended, cancellationToken) : Wait(appended, cancellationToken);

    private bool OverBacklog() =>
        _options.MaxBacklog > 0 && !_sinkFailing && !_stopped && Journal!.UnreadRecords > _options.MaxBacklog;

    private async ValueTask WaitForRoomAsync(Task<bool> appended, CancellationToken cancellationToken)
    {
        await Wait(appended, cancellationToken);
        var room = Volatile.Read(ref _room).Task;
        if (!OverBacklog())
        {
            return; // room was made between the check and taking the task
        }

        Interlocked.Increment(ref _backlogWaits);
        try
        {
            await room.WaitAsync(_options.MaxBacklogWait, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _backlogWaitsExpired);
        }
    }

    /// <summary>
    /// The flusher stored records (or the sink failed, or the log stops): answers waiting for the backlog go once it is
    /// under <c>MaxBacklog</c> again, or at once when <paramref name="always"/>.
    /// </summary>
    internal void MadeRoom(bool always = false)
    {
        if (!always && Journal is { } journal && journal.UnreadRecords > _options.MaxBacklog)
        {
            return;
        }

        Interlocked.Exchange(ref _room, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private static ValueTask Wait(Task<bool> group, CancellationToken cancellationToken) =>
        group.IsCompleted ? ValueTask.CompletedTask
        : cancellationToken.CanBeCanceled ? new ValueTask(group.WaitAsync(cancellationToken))
        : new ValueTask(group);

    /// <summary>Memory mode: hands a record to the log without waiting on the store (counted as accepted).</summary>
    internal bool TryLog(DecisionRecord record)
    {
        if (!_options.Enabled)
        {
            return false;
        }

        Interlocked.Increment(ref _accepted);
        return TryEnqueue(record);
    }

    /// <summary>Queues a record for the flusher; spills it when the queue is full. False when it was lost (counted).</summary>
    private bool TryEnqueue(DecisionRecord record)
    {
        if (_queue.Writer.TryWrite(record))
        {
            var depth = _queue.Reader.Count;
            var max = Volatile.Read(ref _maxQueueDepth);
            while (depth > max && Interlocked.CompareExchange(ref _maxQueueDepth, depth, max) != max)
            {
                max = Volatile.Read(ref _maxQueueDepth);
            }

            Wake();
            return true;
        }

        // Full, or closed because the host is stopping: to disk. After stop nobody syncs the group, so sync now.
        return TrySpill(record, sync: _stopped);
    }

    /// <summary>An append could not be written: its decisions are answered anyway, so they take the memory way, counted.</summary>
    private void OnJournalFailed(IReadOnlyList<DecisionRecord> records, Exception error)
    {
        CountJournalFailure(records.Count, error);
        foreach (var record in records)
        {
            TryEnqueue(record);
        }
    }

    /// <summary>
    /// An fsync failed: the records are written and still reach the sink from memory, but not durably; with
    /// <c>JournalFsync</c> the <paramref name="waiting"/> answers that were promised an fsync count as unjournaled.
    /// </summary>
    private void OnJournalSyncFailed(int waiting, Exception error) => CountJournalFailure(waiting, error);

    /// <summary>One journal failure: its unjournaled answers counted, and the first failure since the journal last worked logged.</summary>
    private void CountJournalFailure(int unjournaled, Exception error)
    {
        Interlocked.Add(ref _unjournaled, unjournaled);
        _unjournaledCounter.Add(unjournaled);
        _journalFailuresCounter.Add(1);
        if (Interlocked.Exchange(ref _journalFailing, 1) == 0)
        {
            LogJournalFailed(_logger, unjournaled, Journal?.Directory ?? _options.SpillDirectory, error);
        }
    }

    /// <summary>
    /// An append was written: notes a journal that is writable again, and wakes the flusher once as many records wait as it
    /// asked for (<see cref="WakeAt"/>) — not at every commit, which at thousands of commits a second costs CPU the
    /// decisions need.
    /// </summary>
    private void OnJournalCommitted()
    {
        if (Volatile.Read(ref _journalFailing) == 1 && Journal?.Failure is null && Interlocked.Exchange(ref _journalFailing, 0) == 1)
        {
            LogJournalRecovered(_logger, Journal!.Directory);
        }

        if (Journal!.UnreadRecords >= Volatile.Read(ref _wakeAt))
        {
            Wake();
        }
    }

    /// <summary>The flusher: wake me when this many journal records are unread (1 when idle, a batch while filling one).</summary>
    internal void WakeAt(long records) => Volatile.Write(ref _wakeAt, Math.Max(1, records));

    /// <summary>Wakes the flusher (a record was queued in memory, or enough were committed).</summary>
    private void Wake()
    {
        if (_work.CurrentCount == 0)
        {
            _work.Release();
        }
    }

    /// <summary>
    /// Waits until a group committed or a record was queued, at most <paramref name="timeout"/> on <paramref name="time"/>
    /// (not <see cref="SemaphoreSlim.WaitAsync(TimeSpan, CancellationToken)"/>, whose timeout is real time).
    /// Throws <see cref="OperationCanceledException"/> only for <paramref name="cancellationToken"/>.
    /// </summary>
    internal async Task WaitForWorkAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var delay = new CancellationTokenSource(timeout, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, delay.Token);
        try
        {
            await _work.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out.
        }
    }

    /// <summary>The counters since start.</summary>
    public DecisionLogStats GetStats() => new(
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _written),
        Interlocked.Read(ref _retried),
        Interlocked.Read(ref _spilled),
        Interlocked.Read(ref _drained),
        new Dictionary<string, long>(_lost, StringComparer.Ordinal),
        _queue.Reader.Count,
        Volatile.Read(ref _maxQueueDepth),
        Interlocked.Read(ref _batches))
    {
        JournalCommits = Journal?.Commits ?? 0,
        JournalFailures = Journal?.FailedGroups ?? 0,
        Unjournaled = Interlocked.Read(ref _unjournaled),
        Recovered = Interlocked.Read(ref _recovered),
        TornTails = Interlocked.Read(ref _tornTails),
        BacklogWaits = Interlocked.Read(ref _backlogWaits),
        BacklogWaitsExpired = Interlocked.Read(ref _backlogWaitsExpired),
    };

    public void Dispose()
    {
        Journal?.Dispose();
        Spill.Dispose();
        _meter.Dispose();
        _work.Dispose();
    }

    /// <summary>Tests only: drops the logger as kill -9 would (see <see cref="DecisionJournal.Crash"/>).</summary>
    internal void Crash()
    {
        Journal?.Crash();
        Spill.Dispose();
        _meter.Dispose();
    }

    private volatile bool _stopped;

    /// <summary>Closes the queue (the host is stopping): later records go straight to the spill file.</summary>
    internal void Close()
    {
        _stopped = true;
        _queue.Writer.TryComplete();
        MadeRoom(always: true);
    }

    internal bool TrySpill(DecisionRecord record, bool sync)
    {
        try
        {
            Spill.Append(record, sync);
            Interlocked.Increment(ref _spilled);
            _spilledCounter.Add(1);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CountLost(LossReasons.SpillFailed, 1);
            LogSpillFailed(_logger, 1, Spill.Directory, ex);
            return false;
        }
    }

    /// <summary>Spills a batch the store would not take; on failure the batch is counted lost.</summary>
    internal bool TrySpillBatch(IReadOnlyList<DecisionRecord> records)
    {
        try
        {
            Spill.AppendBatch(records);
            Interlocked.Add(ref _spilled, records.Count);
            _spilledCounter.Add(records.Count);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CountLost(LossReasons.SpillFailed, records.Count);
            LogSpillFailed(_logger, records.Count, Spill.Directory, ex);
            return false;
        }
    }

    internal void CountWritten(int count, bool fromSpill)
    {
        Interlocked.Add(ref _written, count);
        Interlocked.Increment(ref _batches);
        _writtenCounter.Add(count);
        if (fromSpill)
        {
            Interlocked.Add(ref _drained, count);
            _drainedCounter.Add(count);
        }
    }

    internal void CountRecovered(int count) => Interlocked.Add(ref _recovered, count);

    internal void CountTornTail() => Interlocked.Increment(ref _tornTails);

    /// <summary>The sink failed <c>MaxAttempts</c> times in a row (true) or took a write again (false).</summary>
    internal void SetSinkFailing(bool failing)
    {
        _sinkFailing = failing;
        if (failing)
        {
            MadeRoom(always: true);
        }
    }

    internal void CountRetry()
    {
        Interlocked.Increment(ref _retried);
        _retriedCounter.Add(1);
    }

    internal void CountLost(string reason, long count)
    {
        _lost.AddOrUpdate(reason, count, (_, c) => c + count);
        _lostCounter.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Decision log: the journal in {Directory} cannot be written; {Count} decision(s) answered without a durable record (counted unjournaled), health degraded")]
    private static partial void LogJournalFailed(ILogger logger, int count, string directory, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Decision log: the journal in {Directory} is written again")]
    private static partial void LogJournalRecovered(ILogger logger, string directory);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Decision log: the journal directory {Directory} could not be read at start; records a previous run left there are not recovered")]
    private static partial void LogJournalUnreadable(ILogger logger, string directory, Exception exception);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Decision log: {Count} record(s) lost, the spill directory {Directory} could not be written")]
    private static partial void LogSpillFailed(ILogger logger, int count, string directory, Exception exception);
}

/// <summary>
/// A snapshot of the decision log counters. <see cref="Accepted"/> = records handed to <see cref="DecisionLogger.LogAsync"/>;
/// each one ends up written (directly or after a spill: <see cref="Drained"/>), waiting (journal, queue, spill file) or in <see cref="Lost"/>.
/// <see cref="Written"/> counts store writes, so a spilled batch drained after a partial write may count a record twice;
/// the store itself holds it once (upsert by id).
/// </summary>
public sealed record DecisionLogStats(
    long Accepted,
    long Written,
    long Retried,
    long Spilled,
    long Drained,
    IReadOnlyDictionary<string, long> Lost,
    int QueueDepth,
    int MaxQueueDepth,
    long Batches)
{
    public long LostTotal => Lost.Values.Sum();

    /// <summary>Journal fsyncs.</summary>
    public long JournalCommits { get; init; }

    /// <summary>Journal writes and fsyncs that failed.</summary>
    public long JournalFailures { get; init; }

    /// <summary>Decisions answered while the journal could not be written: sent through memory, lost only by a crash before they were stored.</summary>
    public long Unjournaled { get; init; }

    /// <summary>Records a previous process left in the journal, now stored.</summary>
    public long Recovered { get; init; }

    /// <summary>Torn final lines of a previous process's journal: appends that never completed, so never acknowledged (not losses).</summary>
    public long TornTails { get; init; }

    /// <summary>Answers that waited for the backlog to go under <c>MaxBacklog</c> (see <see cref="DecisionLogOptions.MaxBacklog"/>).</summary>
    public long BacklogWaits { get; init; }

    /// <summary>Of those, the ones that went after <c>MaxBacklogWait</c> with the backlog still over it.</summary>
    public long BacklogWaitsExpired { get; init; }
}
