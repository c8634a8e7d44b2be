namespace Arbiter.DecisionLog;

/// <summary>
/// How the journal opens its segment files: the seam where tests count fsyncs (<see cref="FileStream.Flush(bool)"/>)
/// and inject write failures (a full disk) without a real one.
/// </summary>
internal class JournalFiles
{
    public static readonly JournalFiles Default = new();

    /// <summary>
    /// A new segment for appending. Unbuffered (every append is one write() call, so what is appended survives a crash
    /// of this process), shared for reading by this process's flusher (a shared lock: another process's recovery, which
    /// asks for an exclusive one, leaves it alone).
    /// </summary>
    public virtual FileStream Create(string path) =>
        new(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
}
