using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbiter.DecisionLog;

/// <summary>
/// Moves records into the sink, off the decision path. With the journal (<c>Durability</c> = <c>Journal</c>):
/// <list type="bullet">
/// <item>Reads committed journal lines in order, in batches of <c>BatchSize</c> (a partial batch once <c>FlushInterval</c>
/// has passed since records became available), and deletes each segment once it is sealed and all of it is stored.</item>
/// <item>At start, segments a previous process left (it crashed, or stopped before they were stored) are sent first.
/// A torn final line is dropped (that append never completed, so it was never acknowledged); any other unreadable line is
/// counted lost (<c>journal-corrupt</c>). Delivery is at least once: a crash between a store write and the segment's
/// deletion sends those records again, and the sink's upsert by (tenant, decision id) stores each once.</item>
/// <item>A failed write is retried with backoff, without limit (the records are safe on disk); after <c>MaxAttempts</c>
/// in a row the log reports degraded until a write succeeds.</item>
/// <item>Records answered while the journal could not be written come through the memory queue, as below.</item>
/// <item>On stop: the open segment is sealed and what the journal holds is stored within <c>ShutdownTimeout</c>; the rest
/// waits on disk for the next start.</item>
/// </list>
/// In memory mode (<c>Durability</c> = <c>Memory</c>), from the logger's queue:
/// <list type="bullet">
/// <item>Batches of <c>BatchSize</c>, or fewer once <c>FlushInterval</c> has passed since the batch's first record.</item>
/// <item>A failed write is retried with exponential backoff and jitter, up to <c>MaxAttempts</c>; then the batch is
/// spilled to disk (counted as spilled, not lost) so a long store outage never stalls the queue.</item>
/// <item>Spilled segments are drained back into the store every <c>SpillDrainInterval</c> when the queue is not under
/// pressure, and at start (what a previous run left). Progress within a segment is remembered, and the segment is
/// deleted once all of it is stored; a crash mid-drain re-writes some records, which the upsert by id absorbs.</item>
/// <item>On stop: the queue is closed (later records spill), what is queued is written, then the spill is drained, all
/// within <c>ShutdownTimeout</c>; what does not fit stays on disk for the next start.</item>
/// </list>
/// </summary>
/// <remarks>
/// Every wait (flush interval, idle wake-up, retry backoff, shutdown timeout) runs on the injected <see cref="TimeProvider"/>,
/// the same clock that measures the elapsed time, so tests drive it with a fake clock.
/// Not a <see cref="BackgroundService"/>: its <c>StartAsync</c> starts the loop with <c>Task.Run(..., stoppingToken)</c>,
/// so a stop that comes before the loop was scheduled skips it entirely — and with it the final flush.
/// </remarks>
public sealed partial class DecisionLogFlusher : IHostedService, IDisposable
{
    private readonly DecisionLogger _log;
    private readonly IDecisionLogSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger<DecisionLogFlusher> _logger;
    private readonly DecisionLogOptions _options;
    // Cancelled only when the shutdown timeout has passed: writes in flight finish after a stop request.
    private readonly CancellationTokenSource _abort = new();
    // Batches per drain while running before live records take precedence (see DrainSpillAsync): enough to empty a
    // spill within minutes under load, few enough to keep up with live traffic.
    private const int DrainBudget = 20;
    private readonly Dictionary<string, long> _drainOffsets = new(StringComparer.Ordinal);
    private long? _lastDrain;

    public DecisionLogFlusher(DecisionLogger log, IDecisionLogSink sink, TimeProvider time, ILogger<DecisionLogFlusher> logger)
    {
        _log = log;
        _sink = sink;
        _time = time;
        _logger = logger;
        _options = log.Options;
    }

    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private ITimer? _shutdownTimer;

    /// <summary>The flush loop (null before start); completes after the final flush.</summary>
    public Task? ExecuteTask => _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop ??= Task.Run(() => _log.Journal is null ? RunAsync(_stopping.Token) : RunJournalAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // On the injected clock (CancelAfter would use the real one): past the timeout, what is left stays on disk.
        _shutdownTimer ??= _time.CreateTimer(static abort => Cancel((CancellationTokenSource)abort!), _abort, _options.ShutdownTimeout, Timeout.InfiniteTimeSpan);
        await using var link = cancellationToken.Register(() => _abort.Cancel());
        _stopping.Cancel();
        // Never started: still close the queue and write what is in it (and in the spill) within the timeout.
        _loop ??= Task.Run(() => FinalFlushAsync(new List<DecisionRecord>(_options.BatchSize)), CancellationToken.None);
        // Bounded by the shutdown timeout: past it the loop spills what is left and returns.
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _shutdownTimer?.Dispose();
        _stopping.Dispose();
        _abort.Dispose();
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The timer fired as the flusher was disposed: nothing is left to abort.
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<DecisionRecord>(_options.BatchSize);
        var reader = _log.Reader;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await FillAsync(reader, batch, stoppingToken);
                if (batch.Count > 0)
                {
                    await WriteAsync(batch, fromSpill: false, _abort.Token);
                    batch.Clear();
                }

                _log.Spill.Sync();
                if (reader.Count < _options.Capacity / 2 && (_lastDrain is null || _time.GetElapsedTime(_lastDrain.Value) >= _options.SpillDrainInterval))
                {
                    _lastDrain = _time.GetTimestamp();
                    await DrainSpillAsync(DrainBudget, _abort.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A bug here must not take the queued records with it: log it, then flush what is left as on a stop.
            LogFlusherFailed(_logger, ex);
        }

        await FinalFlushAsync(batch);
    }

    /// <summary>Waits for a first record (at most one flush interval), then gathers up to a batch within the flush interval.</summary>
    private async Task FillAsync(System.Threading.Channels.ChannelReader<DecisionRecord> reader, List<DecisionRecord> batch, CancellationToken stoppingToken)
    {
        while (batch.Count < _options.BatchSize && reader.TryRead(out var record))
        {
            batch.Add(record);
        }

        if (batch.Count == _options.BatchSize)
        {
            return;
        }

        // Idle: wake up in time for the next spill drain (and the spill's group fsync) even if nothing arrives.
        using var delay = new CancellationTokenSource(
            batch.Count == 0 && _options.SpillDrainInterval < _options.FlushInterval ? _options.SpillDrainInterval : _options.FlushInterval, _time);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, delay.Token);
        try
        {
            while (batch.Count < _options.BatchSize && await reader.WaitToReadAsync(window.Token))
            {
                while (batch.Count < _options.BatchSize && reader.TryRead(out var record))
                {
                    batch.Add(record);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The flush interval passed or the host is stopping: write what we have.
        }
    }

    private async Task FinalFlushAsync(List<DecisionRecord> batch)
    {
        _log.Close();
        var token = _abort.Token;
        try
        {
            if (_log.Journal is { } journal)
            {
                // Sealed, so the last segment can go once drained; later appends open a new one for the next start.
                journal.Rotate();
                await DrainJournalAsync(journal, batch, token);
                batch.Clear();
            }

            while (true)
            {
                while (batch.Count < _options.BatchSize && _log.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                if (batch.Count == 0)
                {
                    break;
                }

                await WriteAsync(batch, fromSpill: false, token);
                batch.Clear();
            }

            await DrainSpillAsync(int.MaxValue, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Out of time: what is still queued goes to disk for the next start.
            while (_log.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            if (batch.Count > 0)
            {
                _log.TrySpillBatch(batch);
            }

            LogShutdownTimeout(_logger, _options.ShutdownTimeout, batch.Count);
        }

        _log.Spill.Sync();
        var stats = _log.GetStats();
        LogStopped(_logger, stats.Written, stats.Spilled, stats.LostTotal);
    }

    private async Task RunJournalAsync(CancellationToken stoppingToken)
    {
        var journal = _log.Journal!;
        var batch = new List<DecisionRecord>(_options.BatchSize);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await WaitForBatchAsync(journal, stoppingToken);
                if (!await DrainJournalAsync(journal, batch, stoppingToken))
                {
                    continue; // the sink failed past its retries or we are stopping: the records stay in the journal
                }

                // Answered while the journal could not be written: from memory.
                while (batch.Count < _options.BatchSize && _log.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                if (batch.Count > 0)
                {
                    await WriteAsync(batch, fromSpill: false, _abort.Token);
                    batch.Clear();
                }

                _log.Spill.Sync();
                if (_lastDrain is null || _time.GetElapsedTime(_lastDrain.Value) >= _options.SpillDrainInterval)
                {
                    _lastDrain = _time.GetTimestamp();
                    await DrainSpillAsync(DrainBudget, _abort.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFlusherFailed(_logger, ex);
        }

        batch.Clear();
        await FinalFlushAsync(batch);
    }

    /// <summary>
    /// Waits until a batch is available (journal or memory), or <c>FlushInterval</c> has passed since the first record
    /// became available, or a spill drain is due. Wakes on commits, never polls.
    /// </summary>
    private async Task WaitForBatchAsync(DecisionJournal journal, CancellationToken stoppingToken)
    {
        try
        {
            // Woken by the first commit when idle, then only once a batch is there (not at every group commit).
            _log.WakeAt(1);
            if (Available(journal) == 0)
            {
                await _log.WaitForWorkAsync(_options.SpillDrainInterval, _time, stoppingToken);
            }

            _log.WakeAt(_options.BatchSize);
            var first = _time.GetTimestamp();
            while (Available(journal) is > 0 and var n && n < _options.BatchSize)
            {
                var left = _options.FlushInterval - _time.GetElapsedTime(first);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                await _log.WaitForWorkAsync(left, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the final flush takes what there is.
        }
    }

    private long Available(DecisionJournal journal)
    {
        long available = _log.Reader.Count;
        foreach (var segment in journal.Segments())
        {
            available += segment.Unread(_options.BatchSize);
            if (available >= _options.BatchSize)
            {
                break;
            }
        }

        return available;
    }

    /// <summary>
    /// Stores everything committed to the journal, segment by segment, in batches, and deletes the segments done with.
    /// False when a batch could not be stored (it stays in the journal for the next round).
    /// </summary>
    private async Task<bool> DrainJournalAsync(DecisionJournal journal, List<DecisionRecord> batch, CancellationToken retryToken)
    {
        foreach (var segment in journal.Segments())
        {
            while (true)
            {
                var sealedNow = segment.Sealed; // before Committed: once sealed, Committed is final
                if (segment.ReadOffset >= segment.Committed)
                {
                    if (!sealedNow)
                    {
                        return true; // the segment being appended to: nothing more yet
                    }

                    if (!journal.Remove(segment))
                    {
                        LogSegmentNotDeleted(_logger, segment.Path);
                    }
                    else if (segment.Recovered)
                    {
                        LogRecovered(_logger, segment.Path);
                    }

                    break;
                }

                batch.Clear();
                var read = DecisionJournal.Read(segment, _options.BatchSize, batch);
                if (batch.Count > 0 && !await WriteJournalBatchAsync(batch, segment.Recovered, retryToken))
                {
                    batch.Clear();
                    return false;
                }

                // Counted once the batch is stored, so a retried read counts nothing twice.
                if (read.Corrupt > 0)
                {
                    _log.CountLost(DecisionLogger.LossReasons.JournalCorrupt, read.Corrupt);
                    LogJournalCorrupt(_logger, read.Corrupt, segment.Path, read.End);
                }

                if (read.TornTail)
                {
                    _log.CountTornTail();
                    LogTornTail(_logger, segment.Path, segment.ReadOffset);
                }

                journal.Advance(segment, read);
                _log.MadeRoom();
                batch.Clear();
            }
        }

        return true;
    }

    /// <summary>
    /// Writes a journal batch, retrying with backoff until it is stored or <paramref name="retryToken"/> ends the wait
    /// (then false: the batch stays in the journal). Reports the sink failing after <c>MaxAttempts</c> in a row.
    /// </summary>
    private async Task<bool> WriteJournalBatchAsync(List<DecisionRecord> batch, bool recovered, CancellationToken retryToken)
    {
        var delay = _options.RetryBaseDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _sink.WriteBatchAsync(batch, _abort.Token);
                _log.CountWritten(batch.Count, fromSpill: false);
                if (recovered)
                {
                    _log.CountRecovered(batch.Count);
                }

                _log.SetSinkFailing(false);
                return true;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return false;
            }
            catch (DecisionLogRejectedException ex)
            {
                LogRejected(_logger, batch.Count, ex);
                _log.CountLost(DecisionLogger.LossReasons.Rejected, batch.Count);
                return true;
            }
            catch (Exception ex)
            {
                _log.CountRetry();
                if (attempt == _options.MaxAttempts)
                {
                    _log.SetSinkFailing(true);
                    LogGaveUp(_logger, batch.Count, attempt, "kept in the journal, retrying; health degraded", ex);
                }
                else
                {
                    LogRetry(_logger, batch.Count, attempt, ex.GetType().Name);
                }

                var jitter = Random.Shared.NextDouble() * 0.5 + 0.75;
                try
                {
                    await Task.Delay(TimeSpan.FromTicks((long)(delay.Ticks * jitter)), _time, retryToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Writes a batch with retries. A live batch that still fails is spilled; a batch being drained from the spill stays
    /// where it is (false) for the next drain. Cancellation (shutdown timeout) propagates, and the batch is kept.
    /// </summary>
    private async Task<bool> WriteAsync(List<DecisionRecord> batch, bool fromSpill, CancellationToken token)
    {
        var delay = _options.RetryBaseDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _sink.WriteBatchAsync(batch, token);
                _log.CountWritten(batch.Count, fromSpill);
                return true;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                if (!fromSpill)
                {
                    _log.TrySpillBatch(batch);
                    batch.Clear();
                }

                throw;
            }
            catch (DecisionLogRejectedException ex)
            {
                LogRejected(_logger, batch.Count, ex);
                _log.CountLost(DecisionLogger.LossReasons.Rejected, batch.Count);
                return true;
            }
            catch (Exception ex)
            {
                // Any other failure is taken as transient (throttling, timeouts, store down): retry, then spill.
                if (attempt >= _options.MaxAttempts)
                {
                    LogGaveUp(_logger, batch.Count, attempt, fromSpill ? "left in the spill file" : "spilled to disk", ex);
                    if (!fromSpill)
                    {
                        _log.TrySpillBatch(batch);
                    }

                    return false;
                }

                _log.CountRetry();
                LogRetry(_logger, batch.Count, attempt, ex.GetType().Name);
                var jitter = Random.Shared.NextDouble() * 0.5 + 0.75;
                await Task.Delay(TimeSpan.FromTicks((long)(delay.Ticks * jitter)), _time, token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Moves closed spill segments into the store, oldest first, at most <paramref name="budget"/> batches (so the live
    /// queue is not starved). Stops at the first batch the store refuses.
    /// </summary>
    private async Task DrainSpillAsync(int budget, CancellationToken token)
    {
        if (!_log.Spill.HasSegments())
        {
            return;
        }

        foreach (var path in _log.Spill.Rotate())
        {
            await using var stream = DecisionSpill.OpenForDrain(path);
            if (stream is null)
            {
                continue; // another process is writing it
            }

            var offset = _drainOffsets.GetValueOrDefault(path);
            var batch = new List<DecisionRecord>(_options.BatchSize);
            long end = offset;
            foreach (var (record, lineEnd) in DecisionSpill.ReadLines(stream, offset))
            {
                if (record is null)
                {
                    _log.CountLost(DecisionLogger.LossReasons.SpillCorrupt, 1);
                    LogCorrupt(_logger, path, lineEnd);
                }
                else
                {
                    batch.Add(record);
                }

                end = lineEnd;
                if (batch.Count == _options.BatchSize)
                {
                    if (!await WriteAsync(batch, fromSpill: true, token))
                    {
                        return;
                    }

                    batch.Clear();
                    _drainOffsets[path] = end;
                    // Past the budget, only while live records are fewer than a batch: a spill drains as fast as the
                    // store takes it when traffic is light, and yields to live records when it is not.
                    if (--budget <= 0 && (_log.Journal is { } journal ? Available(journal) : _log.Reader.Count) >= _options.BatchSize)
                    {
                        return;
                    }
                }
            }

            if (batch.Count > 0 && !await WriteAsync(batch, fromSpill: true, token))
            {
                return;
            }

            _drainOffsets.Remove(path);
            stream.Close();
            File.Delete(path);
            LogDrained(_logger, path);
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Decision log: writing {Count} record(s) failed (attempt {Attempt}, {ErrorType}); retrying")]
    private static partial void LogRetry(ILogger logger, int count, int attempt, string errorType);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Error, Message = "Decision log: {Count} record(s) not stored after {Attempts} attempts; {Outcome}")]
    private static partial void LogGaveUp(ILogger logger, int count, int attempts, string outcome, Exception exception);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Error, Message = "Decision log: the sink rejected {Count} record(s); counted lost (rejected)")]
    private static partial void LogRejected(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Error, Message = "Decision log: unreadable line in spill segment {Path} ending at byte {Offset}; counted lost (spill-corrupt)")]
    private static partial void LogCorrupt(ILogger logger, string path, long offset);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Decision log: spill segment {Path} drained into the store")]
    private static partial void LogDrained(ILogger logger, string path);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Decision log: shutdown timeout {Timeout} reached; {Count} queued record(s) spilled to disk for the next start")]
    private static partial void LogShutdownTimeout(ILogger logger, TimeSpan timeout, int count);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Error, Message = "Decision log flusher failed; flushing what is queued and stopping")]
    private static partial void LogFlusherFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Error, Message = "Decision log: {Count} unreadable line(s) in journal segment {Path} before byte {Offset}; counted lost (journal-corrupt)")]
    private static partial void LogJournalCorrupt(ILogger logger, int count, string path, long offset);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Information, Message = "Decision log: journal segment {Path} left by an earlier run is in the store")]
    private static partial void LogRecovered(ILogger logger, string path);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Decision log: journal segment {Path} ends in a torn line at byte {Offset} (an append cut by a crash, never acknowledged); dropped")]
    private static partial void LogTornTail(ILogger logger, string path, long offset);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Decision log: drained journal segment {Path} could not be deleted; its records are sent again at the next start (stored once)")]
    private static partial void LogSegmentNotDeleted(ILogger logger, string path);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Information, Message = "Decision log stopped: {Written} written, {Spilled} spilled, {Lost} lost")]
    private static partial void LogStopped(ILogger logger, long written, long spilled, long lost);
}
