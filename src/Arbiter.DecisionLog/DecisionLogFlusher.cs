using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbiter.DecisionLog;

/// <summary>
/// Moves records from the logger's queue into the sink, off the decision path:
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
    // Batches per drain while running: enough to empty a spill within minutes, few enough to keep up with live traffic.
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

    /// <summary>The flush loop (null before start); completes after the final flush.</summary>
    public Task? ExecuteTask => _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _abort.CancelAfter(_options.ShutdownTimeout);
        await using var link = cancellationToken.Register(() => _abort.Cancel());
        _stopping.Cancel();
        // Never started: still close the queue and write what is in it (and in the spill) within the timeout.
        _loop ??= Task.Run(() => FinalFlushAsync(new List<DecisionRecord>(_options.BatchSize)), CancellationToken.None);
        // Bounded by the shutdown timeout: past it the loop spills what is left and returns.
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _abort.Dispose();
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

        using var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // Idle: wake up in time for the next spill drain (and the spill's group fsync) even if nothing arrives.
        window.CancelAfter(batch.Count == 0 && _options.SpillDrainInterval < _options.FlushInterval ? _options.SpillDrainInterval : _options.FlushInterval);
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
                    if (--budget <= 0)
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

    [LoggerMessage(EventId = 6016, Level = LogLevel.Information, Message = "Decision log stopped: {Written} written, {Spilled} spilled, {Lost} lost")]
    private static partial void LogStopped(ILogger logger, long written, long spilled, long lost);
}
