using System.Runtime.ExceptionServices;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Runs the independent pieces of a large build on all cores, and fails as the same work done in a loop would: no
/// <see cref="AggregateException"/>, the exception of the first piece in order that threw, thrown as it was. Only above
/// <see cref="Threshold"/>: one change (a Graph delta, a policy edit) keeps the sequential path and costs what it did.
/// </summary>
internal static class ParallelBuild
{
    /// <summary>
    /// The work items (documents, users) from which a build goes parallel. A document costs ~3 µs to hash and parse
    /// and a user ~8 µs to place, so at 4,096 items the work is 10–30 ms, against ~0.1 ms to wake the pool's threads
    /// and hand out the chunks: under 1 %. Below it a build takes a few milliseconds either way, and incremental
    /// updates (a handful of changes) stay on the calling thread, never queueing behind the requests the pool serves.
    /// </summary>
    public const int Threshold = 4096;

    /// <summary>Items per chunk a thread takes at a time: large enough that handing out chunks costs nothing, small enough to balance.</summary>
    private const int ChunkSize = 1024;

    /// <summary>
    /// Whether <paramref name="items"/> work items take the parallel path (<paramref name="force"/>, when given, decides
    /// instead: tests compare both paths). On one core too: that path also does less work per user (by group number).
    /// </summary>
    public static bool Pays(int items, bool? force = null) => force ?? items >= Threshold;

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in chunks on all cores. When chunks
    /// throw, the one that starts first wins — a loop would have stopped there — and its exception is rethrown as is.
    /// </summary>
    public static void For(int count, Action<int, int> body)
    {
        var chunks = (count + ChunkSize - 1) / ChunkSize;
        if (chunks == 0)
            return;
        var failures = new ExceptionDispatchInfo?[chunks];
        Parallel.For(0, chunks, chunk =>
        {
            try
            {
                body(chunk * ChunkSize, Math.Min(count, (chunk + 1) * ChunkSize));
            }
            catch (Exception e)
            {
                failures[chunk] = ExceptionDispatchInfo.Capture(e);
            }
        });
        ThrowFirst(failures);
    }

    /// <summary>Runs <paramref name="actions"/> side by side; when some throw, the first in argument order is rethrown as is.</summary>
    public static void Invoke(params Action[] actions)
    {
        var failures = new ExceptionDispatchInfo?[actions.Length];
        Parallel.Invoke([.. actions.Select((action, i) => (Action)(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failures[i] = ExceptionDispatchInfo.Capture(e);
            }
        }))]);
        ThrowFirst(failures);
    }

    private static void ThrowFirst(ExceptionDispatchInfo?[] failures)
    {
        foreach (var failure in failures)
            failure?.Throw();
    }
}
