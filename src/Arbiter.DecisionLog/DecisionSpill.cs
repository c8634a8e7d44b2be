using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Arbiter.DecisionLog;

/// <summary>
/// The local overflow of the decision log: append-only segment files of JSON lines (<c>decisions-*.jsonl</c>) in the
/// spill directory. Appends from the decision path reach the operating system at once (unbuffered write) and are
/// fsync'd as a group by <see cref="Sync"/> (the flusher calls it at least every flush interval); a batch spilled by the
/// flusher is fsync'd before the call returns. <see cref="Rotate"/> closes the open segment so closed ones can be drained;
/// a segment is deleted only after every record in it is in the store. The open segment is held with no sharing, so a
/// second process on the same directory neither drains nor deletes it.
/// </summary>
internal sealed class DecisionSpill : IDisposable
{
    private const string Prefix = "decisions-";
    private const string Suffix = ".jsonl";
    private readonly Lock _lock = new();
    private readonly string _directory;
    private FileStream? _current;
    private string? _currentPath;
    private bool _dirty;
    private int _sequence;

    public DecisionSpill(string directory)
    {
        _directory = Path.GetFullPath(directory);
    }

    public string Directory => _directory;

    /// <summary>Appends one record (decision path). With <paramref name="sync"/>, fsync'd before returning.</summary>
    public void Append(DecisionRecord record, bool sync)
    {
        var line = Serialize(record);
        lock (_lock)
        {
            var stream = Open();
            stream.Write(line);
            _dirty = true;
            if (sync)
            {
                stream.Flush(flushToDisk: true);
                _dirty = false;
            }
        }
    }

    /// <summary>Appends a batch and fsyncs it.</summary>
    public void AppendBatch(IReadOnlyList<DecisionRecord> records)
    {
        var buffer = new MemoryStream(records.Count * 512);
        foreach (var record in records)
        {
            buffer.Write(Serialize(record));
        }

        lock (_lock)
        {
            var stream = Open();
            stream.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            stream.Flush(flushToDisk: true);
            _dirty = false;
        }
    }

    /// <summary>fsyncs what was appended since the last sync (group commit of decision-path spills).</summary>
    public void Sync()
    {
        lock (_lock)
        {
            if (_dirty && _current is not null)
            {
                _current.Flush(flushToDisk: true);
                _dirty = false;
            }
        }
    }

    /// <summary>Closes the open segment (fsync'd) and returns the closed segments in the order they were written.</summary>
    public IReadOnlyList<string> Rotate()
    {
        lock (_lock)
        {
            CloseCurrent();
        }

        if (!System.IO.Directory.Exists(_directory))
        {
            return [];
        }

        var files = System.IO.Directory.GetFiles(_directory, Prefix + "*" + Suffix);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>True when closed or open segments exist (records wait on disk).</summary>
    public bool HasSegments()
    {
        lock (_lock)
        {
            if (_current is not null)
            {
                return true;
            }
        }

        return System.IO.Directory.Exists(_directory) && System.IO.Directory.EnumerateFiles(_directory, Prefix + "*" + Suffix).Any();
    }

    /// <summary>
    /// Reads a closed segment from <paramref name="offset"/>: (record or null when the line cannot be read, offset after the line).
    /// The segment is opened without sharing; null when another process holds it (its open segment).
    /// </summary>
    public static FileStream? OpenForDrain(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static IEnumerable<(DecisionRecord? Record, long End)> ReadLines(FileStream stream, long offset)
    {
        stream.Position = offset;
        var line = new MemoryStream();
        var position = offset;
        int b;
        while ((b = stream.ReadByte()) != -1)
        {
            position++;
            if (b != '\n')
            {
                line.WriteByte((byte)b);
                continue;
            }

            yield return (Parse(line), position);
            line.SetLength(0);
        }

        if (line.Length > 0)
        {
            // A torn last line (the process died mid-append): unreadable, reported as such.
            yield return (null, position);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            CloseCurrent();
        }
    }

    private static DecisionRecord? Parse(MemoryStream line)
    {
        try
        {
            var record = JsonSerializer.Deserialize(line.GetBuffer().AsSpan(0, (int)line.Length), DecisionLogJsonContext.Default.DecisionRecord);
            return record is { Id.Length: > 0, TenantId.Length: > 0 } ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Serialize(DecisionRecord record)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, DecisionLogJsonContext.Default.DecisionRecord);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    private FileStream Open()
    {
        if (_current is not null)
        {
            return _current;
        }

        System.IO.Directory.CreateDirectory(_directory);
        // Sortable by time of creation, unique per process and per segment.
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{++_sequence:D6}{Suffix}");
        _currentPath = Path.Combine(_directory, name);
        // bufferSize 0: every append is a write() call, so a crash of this process loses nothing already appended.
        _current = new FileStream(_currentPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        return _current;
    }

    private void CloseCurrent()
    {
        if (_current is null)
        {
            return;
        }

        _current.Flush(flushToDisk: true);
        _current.Dispose();
        _current = null;
        _dirty = false;
        _currentPath = null;
    }

    internal static string Describe(Exception ex) => new StringBuilder(ex.GetType().Name).Append(": ").Append(ex.Message).ToString();
}
