namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The journal's file seam for tests: counts fsyncs, can hold the next fsync until released (to pile appends up behind
/// it), and can fail writes as a full disk does, or fsyncs as a failing disk does.
/// </summary>
internal sealed class TestJournalFiles : JournalFiles
{
    private int _fsyncs;
    private readonly ManualResetEventSlim _released = new(true);
    private TaskCompletionSource? _held;

    public int Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>While set, every write fails with ENOSPC's IOException.</summary>
    public volatile bool Full;

    /// <summary>While set, every fsync fails with EIO's IOException.</summary>
    public volatile bool FailFsync;

    /// <summary>The next fsync blocks until <see cref="Release"/>; the task completes when it has started.</summary>
    public Task HoldNextFsync()
    {
        _released.Reset();
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _held.Task;
    }

    public void Release() => _released.Set();

    public override FileStream Create(string path) => new Stream(path, this);

    private sealed class Stream(string path, TestJournalFiles files)
        : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0)
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (files.Full)
            {
                // What a full disk does: part of the write lands, then ENOSPC.
                base.Write(buffer[..(buffer.Length / 2)]);
                throw new IOException("No space left on device");
            }

            base.Write(buffer);
        }

        public override void Flush(bool flushToDisk)
        {
            if (flushToDisk && files.FailFsync)
            {
                throw new IOException("Input/output error");
            }

            if (flushToDisk)
            {
                Interlocked.Increment(ref files._fsyncs);
                if (Interlocked.Exchange(ref files._held, null) is { } held)
                {
                    held.TrySetResult();
                    files._released.Wait();
                }
            }

            base.Flush(flushToDisk);
        }
    }
}
