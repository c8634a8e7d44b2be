using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Arbiter.DecisionLog;

/// <summary>
/// The local write-ahead journal of the decision log (<c>DecisionLog:Durability</c> = <c>Journal</c> or <c>JournalFsync</c>):
/// append-only segment files of lines, one record each (<see cref="JournalLine"/>; <c>journal-*.jsonl</c>, the name kept from when
/// every line was JSON) in the spill directory.
/// <list type="bullet">
/// <item>An append is one write() of its serialized lines, made by the appender itself under a short lock, before
/// <see cref="Append"/> returns: from then on the record is in the kernel's page cache, which outlives the process
/// (kill -9 loses nothing written). There is no hand-off to another thread on the decision path.</item>
/// <item>One syncer thread fsyncs behind the appenders: each fsync covers everything written since the previous one. With
/// <c>Journal</c> an append's task completes at once and the rounds are at least <c>JournalSyncInterval</c> apart (an fsync
/// costs kernel CPU the decisions need); with <c>JournalFsync</c> it completes only after the fsync that covers it, and the
/// rounds run back to back (group commit: every append written during one fsync waits for the next).</item>
/// <item>A failed write fails that append (its records are handed back through <c>onFailed</c>) and cuts the segment back to
/// what was written before; a later append tries again. A failed fsync seals the segment (after a failed fsync the kernel
/// may have dropped its dirty pages, so it is never written to again) and degrades health until a later fsync succeeds;
/// its records are still in memory for the flusher.</item>
/// <item>The flusher takes written records only (<see cref="Read"/>), and deletes a segment (<see cref="Remove"/>) once it
/// is sealed (<see cref="Rotate"/> or full at <c>JournalSegmentBytes</c>) and entirely in the sink. A written append's
/// records stay in memory for it (up to <c>retainRecords</c> in all), so in steady state the journal is written and
/// fsync'd but never read back nor parsed: that would double the CPU the log costs per decision. The file is read only
/// for appends past that bound and for recovered segments.</item>
/// <item>Segments found at start belong to a process that is gone (a live one holds a lock on each of its own): they
/// are <see cref="JournalSegment.Recovered"/> first. Their final line may be torn by the crash — that append never
/// completed, so its decision was never answered.</item>
/// </list>
/// </summary>
internal sealed class DecisionJournal : IDisposable
{
    public const string Prefix = "journal-";
    public const string Suffix = ".jsonl";
    private const int ReadChunkBytes = 1 << 20;
    private const int MaxLineBytes = 64 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_lines;

    private static readonly Task<bool> Written = Task.FromResult(true);
    private static readonly Task<bool> NotWritten = Task.FromResult(false);

    private readonly object _gate = new();
    private readonly Lock _writeLock = new();
    private readonly Lock _segmentsLock = new();
    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly bool _fsyncBeforeAnswer;
    private readonly long _syncIntervalMs;
    private readonly JournalFiles _files;
    private readonly Action _onCommitted;
    private readonly Action<IReadOnlyList<DecisionRecord>, Exception> _onFailed;
    private readonly Action<int, Exception> _onSyncFailed;
    private readonly Thread _syncer;
    private readonly List<JournalSegment> _segments = [];
    private readonly long _retainLimit;

    // Guarded by _gate: whether anything was written since the syncer last looked, and whether it is to stop.
    private bool _dirty;
    private bool _stopping;
    private bool _crashed;

    // Guarded by _writeLock: the segment appended to, and (JournalFsync) the appends waiting for the next fsync.
    private JournalSegment? _current;
    private int _sequence;
    private bool _closed;
    private TaskCompletionSource<bool> _syncGroup = NewGroup();
    private int _syncWaiters;

    private long _commits;
    private long _failedGroups;
    private long _retained;
    private long _committedRecords;
    private long _takenRecords;
    private volatile Exception? _writeFailure; // cleared by the next write that succeeds
    private volatile Exception? _syncFailure; // cleared by the next fsync that succeeds

    /// <param name="fsyncBeforeAnswer">JournalFsync: an append's task completes after the fsync that covers it, not after its write.</param>
    /// <param name="syncInterval">The least time from one fsync round to the next (zero: back to back).</param>
    /// <param name="retainRecords">Written records kept in memory for the flusher at most; past it, it reads the file.</param>
    /// <param name="onCommitted">After each append is written (wakes the flusher).</param>
    /// <param name="onFailed">With the records of an append that could not be written, before its appender resumes.</param>
    /// <param name="onSyncFailed">With how many answers were waiting for an fsync that failed (0 with <c>Journal</c>).</param>
    public DecisionJournal(string directory, long segmentBytes, bool fsyncBeforeAnswer, TimeSpan syncInterval, int retainRecords, JournalFiles files,
        Action onCommitted, Action<IReadOnlyList<DecisionRecord>, Exception> onFailed, Action<int, Exception> onSyncFailed)
    {
        _directory = Path.GetFullPath(directory);
        _segmentBytes = segmentBytes;
        _fsyncBeforeAnswer = fsyncBeforeAnswer;
        _syncIntervalMs = (long)syncInterval.TotalMilliseconds;
        _retainLimit = retainRecords;
        _files = files;
        _onCommitted = onCommitted;
        _onFailed = onFailed;
        _onSyncFailed = onSyncFailed;
        Recover();
        _syncer = new Thread(Run) { IsBackground = true, Name = "decision-journal-sync" };
        _syncer.Start();
    }

    public string Directory => _directory;

    /// <summary>fsyncs done so far (one per segment with unsynced bytes per round).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Appends that could not be written, and fsyncs that failed.</summary>
    public long FailedGroups => Interlocked.Read(ref _failedGroups);

    /// <summary>Records of this process's segments written and not yet taken by the flusher (see <see cref="Advance"/>).</summary>
    public long UnreadRecords => Interlocked.Read(ref _committedRecords) - Interlocked.Read(ref _takenRecords);

    /// <summary>Written records held in memory for the flusher.</summary>
    public long RetainedRecords => Interlocked.Read(ref _retained);

    /// <summary>Why the last write failed (null once a later one succeeded), else why the last fsync failed (null once a later one succeeded).</summary>
    public Exception? Failure => _writeFailure ?? _syncFailure;

    /// <summary>
    /// Appends records with one write() on the caller's thread. The task is true once they are written (<c>Journal</c>:
    /// at once) or fsync'd (<c>JournalFsync</c>: when the fsync covering them completes; false when it failed), false when
    /// the write failed (they were handed to <c>onFailed</c>).
    /// </summary>
    public Task<bool> Append(IReadOnlyList<DecisionRecord> records)
    {
        var lines = t_lines ??= new ArrayBufferWriter<byte>(1024);
        lines.ResetWrittenCount();
        foreach (var record in records)
        {
            JournalLine.Write(lines, record);
        }

        Exception? failure;
        Task<bool> answer;
        lock (_writeLock)
        {
            failure = _closed ? new ObjectDisposedException(nameof(DecisionJournal)) : Write(lines.WrittenSpan, records);
            answer = failure is not null ? NotWritten : _fsyncBeforeAnswer ? Join() : Written;
        }

        if (failure is not null)
        {
            _onFailed(records, failure);
            return NotWritten;
        }

        MarkDirty();
        _onCommitted();
        return answer;
    }

    /// <summary>Under the write lock, after a write: the task of the fsync that will cover it.</summary>
    private Task<bool> Join()
    {
        _syncWaiters++;
        return _syncGroup.Task;
    }

    /// <summary>Wakes the syncer once per round, not per append.</summary>
    private void MarkDirty()
    {
        if (Volatile.Read(ref _dirty))
        {
            return;
        }

        lock (_gate)
        {
            _dirty = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The segments in the order they were written (recovered ones first).</summary>
    public JournalSegment[] Segments()
    {
        lock (_segmentsLock)
        {
            return [.. _segments];
        }
    }

    /// <summary>Seals the segment being appended to, so that it can be deleted once drained (on stop).</summary>
    public void Rotate()
    {
        lock (_writeLock)
        {
            SealCurrent();
        }
    }

    /// <summary>Deletes a drained segment. A failed delete only means it is sent again at the next start (the sink upserts).</summary>
    public bool Remove(JournalSegment segment)
    {
        lock (_segmentsLock)
        {
            _segments.Remove(segment);
        }

        try
        {
            File.Delete(segment.Path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            segment.Close();
        }
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> records from <paramref name="segment"/> at its read offset, committed ones only:
    /// from memory where the group is retained, else from the file. Returns the offset after the last whole group or line
    /// taken, how many lines could not be read, and whether the rest is a torn final line (a recovered segment only).
    /// Moves nothing: the flusher calls <see cref="Advance"/> once the sink has the records (a failed write reads them again).
    /// </summary>
    public static JournalRead Read(JournalSegment segment, int max, List<DecisionRecord> into)
    {
        var offset = segment.ReadOffset;
        if (ReadRetained(segment, max, into) is { } retained)
        {
            return retained;
        }

        var limit = segment.Committed;
        // Up to the next retained group: the gap before it (groups not kept in memory) is what the file must supply.
        if (segment.Retained.TryPeek(out var next) && next.Start > offset && next.Start < limit)
        {
            limit = next.Start;
        }

        if (offset >= limit)
        {
            return new JournalRead(offset, 0, 0, false);
        }

        // A line longer than a chunk (a record is bounded by the request body, but escapes can grow it): read more.
        for (var chunk = ReadChunkBytes; ; chunk *= 2)
        {
            var length = (int)Math.Min(limit - offset, chunk);
            var read = ReadChunk(segment, offset, length, max, into);
            if (read is { } taken)
            {
                return taken;
            }

            if (offset + length >= limit || chunk >= MaxLineBytes)
            {
                if (offset + length >= limit && segment.Recovered)
                {
                    // A final line without its newline: the process died inside that append, so it was never acknowledged.
                    return new JournalRead(limit, 0, 0, true);
                }

                // No line end at all (only whole lines are ever committed) or a line past any record's size: not ours.
                return new JournalRead(offset + length, 1, 1, false);
            }
        }
    }

    /// <summary>The retained records from the read offset on (contiguous groups only), at most <paramref name="max"/>; null when the next group is not in memory.</summary>
    private static JournalRead? ReadRetained(JournalSegment segment, int max, List<DecisionRecord> into)
    {
        var end = segment.ReadOffset;
        var headTaken = segment.HeadTaken;
        var lines = 0;
        foreach (var group in segment.Retained)
        {
            if (group.Start != end || lines == max)
            {
                break;
            }

            var take = Math.Min(group.Records.Count - headTaken, max - lines);
            into.AddRange(headTaken == 0 && take == group.Records.Count ? group.Records : group.Records.GetRange(headTaken, take));
            lines += take;
            if (headTaken + take < group.Records.Count)
            {
                headTaken += take; // a group larger than the batch: the rest goes in the next one
                break;
            }

            end = group.End;
            headTaken = 0;
        }

        return lines > 0 ? new JournalRead(end, lines, 0, false) { HeadTaken = headTaken } : null;
    }

    /// <summary>After the sink stored what <see cref="Read"/> returned: moves the read offset and frees the retained groups done with.</summary>
    public void Advance(JournalSegment segment, JournalRead read)
    {
        segment.ReadOffset = read.End;
        segment.ReadRecords += read.Lines;
        segment.HeadTaken = read.HeadTaken;
        if (!segment.Recovered)
        {
            Interlocked.Add(ref _takenRecords, read.Lines);
        }

        while (segment.Retained.TryPeek(out var group) && group.End <= read.End)
        {
            segment.Retained.TryDequeue(out _);
            Interlocked.Add(ref _retained, -group.Records.Count);
        }
    }

    /// <summary>The lines wholly inside [offset, offset + length), at most <paramref name="max"/>; null when there is none.</summary>
    private static JournalRead? ReadChunk(JournalSegment segment, long offset, int length, int max, List<DecisionRecord> into)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(segment.ReadHandle, buffer.AsSpan(read, length - read), offset + read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            var span = buffer.AsSpan(0, read);
            var consumed = 0;
            var lines = 0;
            var corrupt = 0;
            while (lines < max)
            {
                var newline = span[consumed..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                var record = Parse(span.Slice(consumed, newline));
                consumed += newline + 1;
                lines++;
                if (record is null)
                {
                    corrupt++;
                }
                else
                {
                    into.Add(record);
                }
            }

            return lines > 0 ? new JournalRead(offset + consumed, lines, corrupt, false) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            _closed = true; // later appends take the memory way
        }

        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        // Everything written is fsync'd before the syncer ends; fsync is bounded by the disk.
        _syncer.Join();
        foreach (var segment in Segments())
        {
            segment.Close();
        }
    }

    /// <summary>
    /// Tests only: what kill -9 does. Nothing more is fsync'd nor answered, handles are closed as the kernel would
    /// (written bytes stay in the file), nothing is deleted.
    /// </summary>
    internal void Crash()
    {
        lock (_gate)
        {
            _crashed = true;
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        // An fsync in flight holds its handle open past Close; the kernel would have closed every handle at once.
        _syncer.Join();
        lock (_writeLock)
        lock (_segmentsLock)
        {
            _closed = true;
            foreach (var segment in _segments)
            {
                segment.Close();
            }

            _segments.Clear(); // its flusher died with it
        }
    }

    internal static DecisionRecord? Parse(ReadOnlySpan<byte> line) => JournalLine.Read(line);

    private static TaskCompletionSource<bool> NewGroup() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Takes every segment a previous process left; one still locked belongs to a live process and is left alone.</summary>
    private void Recover()
    {
        try
        {
            if (!System.IO.Directory.Exists(_directory))
            {
                return;
            }

            var paths = System.IO.Directory.GetFiles(_directory, Prefix + "*" + Suffix);
            Array.Sort(paths, StringComparer.Ordinal);
            foreach (var path in paths)
            {
                try
                {
                    var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
                    _segments.Add(new JournalSegment(path, stream, recovered: true));
                }
                catch (IOException)
                {
                    // Locked: another process is appending to it or draining it.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _writeFailure = ex; // until the first append is written
        }
    }

    /// <summary>The syncer: while anything was written since its last round, fsyncs every segment with unsynced bytes.</summary>
    private void Run()
    {
        while (true)
        {
            bool stopping;
            lock (_gate)
            {
                while (!_dirty && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_crashed)
                {
                    return;
                }

                stopping = _stopping;
                _dirty = false;
            }

            Sync();
            if (stopping && !Volatile.Read(ref _dirty))
            {
                return;
            }

            Pause();
        }
    }

    /// <summary>
    /// Between rounds with a sync interval: waits it out (appends go on being written meanwhile; the next round covers
    /// them all). Only stopping cuts it short, so the last records are fsync'd at once. Real time, not a test's clock:
    /// nothing waits for it but the disk.
    /// </summary>
    private void Pause()
    {
        if (_syncIntervalMs <= 0)
        {
            return;
        }

        var until = Environment.TickCount64 + _syncIntervalMs;
        lock (_gate)
        {
            for (var left = _syncIntervalMs; !_stopping && left > 0; left = until - Environment.TickCount64)
            {
                Monitor.Wait(_gate, (int)left);
            }
        }
    }

    /// <summary>
    /// One round: takes what was written so far (and, with JournalFsync, the appends waiting for it) under the write lock,
    /// fsyncs outside it while appenders go on writing, then answers the waiters.
    /// </summary>
    private void Sync()
    {
        List<(JournalSegment Segment, long Upto)> dirty = [];
        TaskCompletionSource<bool> group;
        int waiters;
        var seen = _syncFailure;
        lock (_writeLock)
        {
            group = _syncGroup;
            waiters = _syncWaiters;
            if (waiters > 0)
            {
                _syncGroup = NewGroup();
                _syncWaiters = 0;
            }

            lock (_segmentsLock)
            {
                foreach (var segment in _segments)
                {
                    if (!segment.Recovered && segment.Synced < segment.Committed)
                    {
                        dirty.Add((segment, segment.Committed));
                    }
                }
            }
        }

        Exception? failure = null;
        foreach (var (segment, upto) in dirty)
        {
            try
            {
                segment.Owner.Flush(flushToDisk: true);
                segment.Synced = upto;
                Interlocked.Increment(ref _commits);
            }
            catch (ObjectDisposedException) when (segment.IsClosed)
            {
                // Drained and deleted meanwhile: the sink has all of it.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                failure = ex;
                Interlocked.Increment(ref _failedGroups);
                // After a failed fsync the kernel may have dropped the pages, and a second fsync may report success all
                // the same: that segment is neither fsync'd nor written to again. Its records are in memory for the flusher.
                segment.Synced = long.MaxValue;
                lock (_writeLock)
                {
                    if (ReferenceEquals(_current, segment))
                    {
                        SealCurrent();
                    }
                }
            }
        }

        if (failure is not null)
        {
            _syncFailure = failure;
            _onSyncFailed(waiters, failure);
        }
        else if (dirty.Count > 0 && seen is not null)
        {
            // fsync'd again: clears the failure seen before this round only, never one that came during it.
            Interlocked.CompareExchange(ref _syncFailure, null, seen);
        }

        if (waiters > 0 && !Volatile.Read(ref _crashed))
        {
            group.TrySetResult(failure is null); // a dead process answers nobody
        }
    }

    /// <summary>Under the write lock: one write() of an append on the current segment (opened or rotated as needed); the failure, or null.</summary>
    private Exception? Write(ReadOnlySpan<byte> lines, IReadOnlyList<DecisionRecord> records)
    {
        try
        {
            var segment = _current ?? OpenSegment();
            segment.Owner.Write(lines);
            var start = segment.Committed;
            // Retained before Committed moves, so the flusher never reads from the file a group it will find in memory.
            if (Interlocked.Read(ref _retained) + records.Count <= _retainLimit)
            {
                segment.Retained.Enqueue(new JournalGroup([.. records], start, start + lines.Length));
                Interlocked.Add(ref _retained, records.Count);
            }

            segment.Commit(start + lines.Length, records.Count);
            Interlocked.Add(ref _committedRecords, records.Count);
            _writeFailure = null;
            if (segment.Committed >= _segmentBytes)
            {
                SealCurrent();
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failedGroups);
            _writeFailure = ex;
            if (_current is { } segment)
            {
                // A partial write is cut off, so the next append follows whole lines; a segment that cannot be cut is left.
                if (!TryTruncate(segment))
                {
                    SealCurrent();
                }
            }

            return ex;
        }
    }

    /// <summary>Cuts off whatever part of a failed write reached the file, so the next group follows committed bytes.</summary>
    private static bool TryTruncate(JournalSegment segment)
    {
        try
        {
            segment.Owner.SetLength(segment.Committed);
            segment.Owner.Position = segment.Committed;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return false;
        }
    }

    private JournalSegment OpenSegment()
    {
        System.IO.Directory.CreateDirectory(_directory);
        // Sortable by time of creation, unique per process and per segment.
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{++_sequence:D6}{Suffix}");
        var path = Path.Combine(_directory, name);
        var segment = new JournalSegment(path, _files.Create(path), recovered: false);
        lock (_segmentsLock)
        {
            _segments.Add(segment);
        }

        _current = segment;
        return segment;
    }

    private void SealCurrent()
    {
        _current?.Seal();
        _current = null;
    }
}

/// <summary>
/// What <see cref="DecisionJournal.Read"/> took: up to <see cref="End"/>, <see cref="Lines"/> lines of which <see cref="Corrupt"/> unreadable.
/// <see cref="HeadTaken"/>: records taken from the retained group that starts at <see cref="End"/> (a partial group).</summary>
internal readonly record struct JournalRead(long End, int Lines, int Corrupt, bool TornTail)
{
    public int HeadTaken { get; init; }
}
