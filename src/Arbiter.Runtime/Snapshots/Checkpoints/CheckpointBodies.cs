using System.Collections.Concurrent;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// The checkpoint's bodies as the changes a snapshot is built from, parsed ahead of the one consuming them: a worker
/// parses chunk after chunk while the caller's thread turns the previous chunks into facts and policies, so on two or
/// more cores the parsing is hidden behind that work (on one it costs what it did). The order does not matter to the
/// state built from them (one change per key; the version is the XOR of one hash per document).
/// </summary>
public static class CheckpointBodies
{
    /// <summary>Bodies per hand-over: large enough that the hand-over costs nothing beside parsing them.</summary>
    private const int ChunkSize = 512;

    /// <summary>Chunks parsed ahead of the consumer at most, so a consumer that stops early leaves little parsed for nothing.</summary>
    private const int ChunksAhead = 16;

    /// <summary>
    /// The changes of <paramref name="documents"/>, parsed on a worker as they are enumerated. Enumerate once; a body that
    /// does not parse ends the enumeration with that <see cref="System.Text.Json.JsonException"/>.
    /// </summary>
    public static IEnumerable<SourceChange> Parse(IReadOnlyCollection<CheckpointDocument> documents, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var ready = new BlockingCollection<SourceChange[]>(ChunksAhead);
        // Its own thread, not the pool's: the loop below blocks a pool thread while it waits, and a cold instance's pool
        // is small and busy with the requests waiting for this very snapshot. Not started with the token: the worker
        // must run to complete the collection the loop below waits on.
        var parser = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var chunk in documents.Chunk(ChunkSize))
                    ready.Add(Array.ConvertAll(chunk, d => new SourceChange(d.Kind, d.Id, d.Parse())), stop.Token);
            }
            finally
            {
                ready.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var chunk in ready.GetConsumingEnumerable(stop.Token))
            {
                foreach (var change in chunk)
                    yield return change;
            }
            // Rethrows the parser's failure (a body that does not parse) after the chunks it did parse.
            parser.GetAwaiter().GetResult();
        }
        finally
        {
            // The consumer stopped early (or failed): the parser stops at its next chunk, and is waited for before the
            // collection it writes to is disposed.
            stop.Cancel();
            try
            {
                parser.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
                // Cancelled, or failed after the consumer had stopped: nobody wants its chunks any more.
            }
        }
    }
}
