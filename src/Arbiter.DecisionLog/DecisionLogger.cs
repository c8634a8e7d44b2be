using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog;

/// <summary>
/// What the decision path calls. <see cref="TryLog"/> never waits on the store:
/// <list type="number">
/// <item>The record goes into a bounded in-memory queue (<c>DecisionLog:Capacity</c>) that the flusher writes to the store in batches.</item>
/// <item>When the queue is full, the record is appended to the local spill file instead (no store call; a write() to the
/// local disk, fsync'd as a group within one flush interval). The flusher moves spilled records into the store later.</item>
/// <item>Only when that append fails too (disk full, no permission) is the record lost; it is counted under reason
/// <c>spill-failed</c> and <see cref="TryLog"/> returns false.</item>
/// </list>
/// Nothing is dropped silently: every record is counted as written, spilled (and later drained) or lost with a reason.
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
    private readonly ConcurrentDictionary<string, long> _lost = new(StringComparer.Ordinal);
    private long _accepted;
    private long _written;
    private long _retried;
    private long _spilled;
    private long _drained;
    private long _batches;
    private int _maxQueueDepth;

    public DecisionLogger(IOptions<DecisionLogOptions> options, ILogger<DecisionLogger> logger)
    {
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<DecisionRecord>(new BoundedChannelOptions(_options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite returns false when full: we spill, never block, never drop
            SingleReader = true,
            SingleWriter = false,
        });
        Spill = new DecisionSpill(_options.SpillDirectory);
        _meter = new Meter(MeterName);
        _writtenCounter = _meter.CreateCounter<long>("arbiter.decision_log.written", "{record}", "Records stored by the sink.");
        _retriedCounter = _meter.CreateCounter<long>("arbiter.decision_log.retried", "{batch}", "Store writes retried after a failure.");
        _spilledCounter = _meter.CreateCounter<long>("arbiter.decision_log.spilled", "{record}", "Records written to the local spill file.");
        _drainedCounter = _meter.CreateCounter<long>("arbiter.decision_log.drained", "{record}", "Spilled records moved into the store.");
        _lostCounter = _meter.CreateCounter<long>("arbiter.decision_log.lost", "{record}", "Records lost, by reason.");
        _meter.CreateObservableGauge("arbiter.decision_log.queue_depth", () => _queue.Reader.Count, "{record}", "Records waiting in memory.");
    }

    public bool Enabled => _options.Enabled;

    internal DecisionLogOptions Options => _options;

    internal ChannelReader<DecisionRecord> Reader => _queue.Reader;

    internal DecisionSpill Spill { get; }

    /// <summary>
    /// Hands a record to the log without waiting on the store. True when it is queued or spilled to disk; false when
    /// logging is disabled or the record was lost (counted with a reason).
    /// </summary>
    public bool TryLog(DecisionRecord record)
    {
        if (!_options.Enabled)
        {
            return false;
        }

        Interlocked.Increment(ref _accepted);
        if (_queue.Writer.TryWrite(record))
        {
            var depth = _queue.Reader.Count;
            var max = Volatile.Read(ref _maxQueueDepth);
            while (depth > max && Interlocked.CompareExchange(ref _maxQueueDepth, depth, max) != max)
            {
                max = Volatile.Read(ref _maxQueueDepth);
            }

            return true;
        }

        // Full, or closed because the host is stopping: to disk. After stop nobody syncs the group, so sync now.
        return TrySpill(record, sync: _stopped);
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
        Interlocked.Read(ref _batches));

    public void Dispose()
    {
        Spill.Dispose();
        _meter.Dispose();
    }

    private volatile bool _stopped;

    /// <summary>Closes the queue (the host is stopping): later records go straight to the spill file.</summary>
    internal void Close()
    {
        _stopped = true;
        _queue.Writer.TryComplete();
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

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Decision log: {Count} record(s) lost, the spill directory {Directory} could not be written")]
    private static partial void LogSpillFailed(ILogger logger, int count, string directory, Exception exception);
}

/// <summary>
/// A snapshot of the decision log counters. <see cref="Accepted"/> = records handed to <see cref="DecisionLogger.TryLog"/>;
/// each one ends up written (directly or after a spill: <see cref="Drained"/>), waiting (queue, spill file) or in <see cref="Lost"/>.
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
}
