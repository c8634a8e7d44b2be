using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Arbiter.DecisionLog;

/// <summary>
/// One journal segment file, as the flusher sees it. A segment of this process is read up to <see cref="Committed"/>
/// (what has been written; a write that failed is cut off there), and fsync'd by the journal's syncer up to <see cref="Synced"/>, and deleted once it is <see cref="Sealed"/> and read to
/// the end. A segment left by an earlier process is <see cref="Recovered"/>: held exclusively, read to its end, and its
/// last line may be torn.
/// <para>The records of each committed group also stay in memory (<see cref="Retained"/>, bounded by the journal), so the
/// flusher hands them to the sink without reading and parsing the file again; it reads the file only where a group was
/// not retained (past the bound) and for recovered segments.</para>
/// </summary>
internal sealed class JournalSegment
{
    private long _committed;
    private long _committedRecords;
    private volatile bool _sealed;
    private volatile bool _closed;
    private long _synced;
    private SafeFileHandle? _read;

    /// <param name="owner">
    /// The handle that holds the segment's lock for as long as the segment exists: the appending stream (a shared lock)
    /// or, for a recovered segment, an exclusive one.
    /// </param>
    public JournalSegment(string path, FileStream owner, bool recovered)
    {
        Path = path;
        Owner = owner;
        Recovered = recovered;
        if (recovered)
        {
            _committed = owner.Length;
            _sealed = true;
        }
    }

    public string Path { get; }

    public FileStream Owner { get; }

    public bool Recovered { get; }

    /// <summary>Bytes written (whole appends): the flusher never reads past it.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>Bytes fsync'd (the syncer's only).</summary>
    public long Synced
    {
        get => Volatile.Read(ref _synced);
        set => Volatile.Write(ref _synced, value);
    }

    /// <summary>Its handles are released (<see cref="Close"/>): drained and deleted, or the process is stopping.</summary>
    public bool IsClosed => _closed;

    /// <summary>Records written (unknown, so 0, for a recovered segment).</summary>
    public long CommittedRecords => Volatile.Read(ref _committedRecords);

    /// <summary>No more appends: once read up to <see cref="Committed"/>, the segment can go.</summary>
    public bool Sealed => _sealed;

    /// <summary>Where the flusher goes on reading (only the flusher touches it).</summary>
    public long ReadOffset { get; set; }

    /// <summary>Records the flusher has taken (only the flusher touches it).</summary>
    public long ReadRecords { get; set; }

    /// <summary>
    /// Committed groups still in memory, in file order (the committer adds, the flusher removes those it has stored).
    /// A gap between two (a group past the memory bound) is read from the file.
    /// </summary>
    public ConcurrentQueue<JournalGroup> Retained { get; } = new();

    /// <summary>Records of the first retained group already stored (a group larger than what a batch took); flusher only.</summary>
    public int HeadTaken { get; set; }

    /// <summary>Records committed but not yet taken by the flusher (a recovered segment counts as one full batch).</summary>
    public long Unread(int batchSize) =>
        Recovered ? (ReadOffset < Committed ? batchSize : 0) : CommittedRecords - ReadRecords;

    /// <summary>For reading: the exclusive handle of a recovered segment, or a read-only one beside the appending stream.</summary>
    public SafeFileHandle ReadHandle =>
        Recovered ? Owner.SafeFileHandle : _read ??= File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Called by the appender after its write, under the journal's write lock: the flusher may read up to here.</summary>
    public void Commit(long length, int records)
    {
        Volatile.Write(ref _committedRecords, _committedRecords + records);
        Volatile.Write(ref _committed, length);
    }

    public void Seal() => _sealed = true;

    /// <summary>Releases the handles (and with them the lock); the file stays unless deleted first.</summary>
    public void Close()
    {
        _closed = true;
        _read?.Dispose();
        try
        {
            Owner.Dispose();
        }
        catch (IOException)
        {
            // What was written is the kernel's to keep; a failing close loses nothing.
        }
    }
}

/// <summary>A committed group kept in memory: its records, and the bytes [<see cref="Start"/>, <see cref="End"/>) they occupy in the segment.</summary>
internal sealed record JournalGroup(List<DecisionRecord> Records, long Start, long End);
