using System.Collections.Immutable;
using Arbiter.Store;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// The checkpoint document a load confirms against the store (its ETag there must be the checkpoint's): the first by
/// ordinal key that the tail left alone. The first by key overall is read ahead, while the snapshot is built.
/// </summary>
public static class CheckpointAnchor
{
    /// <summary>The checkpoint's first document by ordinal key, or null when it holds none.</summary>
    public static CheckpointDocument? First(ImmutableDictionary<string, CheckpointDocument> documents)
    {
        CheckpointDocument? first = null;
        string? firstKey = null;
        foreach (var (key, document) in documents)
        {
            if (firstKey is null || string.CompareOrdinal(key, firstKey) < 0)
                (first, firstKey) = (document, key);
        }
        return first;
    }

    /// <summary>The store's current version of <paramref name="document"/>, read on the thread pool.</summary>
    public static Task<StoredDocument?> ReadAsync(IDocumentStore store, string tenantId, CheckpointDocument document, CancellationToken cancellationToken) =>
        Task.Run(() => store.GetAsync(tenantId, document.Kind, document.Id, cancellationToken: cancellationToken), cancellationToken);
}
