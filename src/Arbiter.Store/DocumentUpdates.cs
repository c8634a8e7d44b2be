using System.Text.Json;

namespace Arbiter.Store;

/// <summary>The result of <see cref="DocumentUpdates.UpdateAsync"/>.</summary>
/// <param name="Before">The document as last read (null: there was none).</param>
/// <param name="After">The document as written, or null when nothing was written (the change declined, or contention).</param>
/// <param name="Contended">Every attempt lost a race with another writer.</param>
public sealed record DocumentUpdate(StoredDocument? Before, StoredDocument? After, bool Contended)
{
    public bool Written => After is not null;
}

public static class DocumentUpdates
{
    /// <summary>
    /// Read-modify-write under the document's ETag: reads the current document (null when absent), asks
    /// <paramref name="change"/> for the new body (null: write nothing), writes it with If-Match (create-only when there
    /// was none), and on a lost race reads and asks again — at most <paramref name="attempts"/> times. Fields other
    /// writers own survive, because every attempt starts from what is stored now. <paramref name="write"/> replaces the
    /// plain put when the write has more to it (a policy records its version first); it gets the document read and the
    /// new body, and must write with the read document's ETag.
    /// </summary>
    public static async Task<DocumentUpdate> UpdateAsync(this IDocumentStore store, string tenantId, string kind, string id,
        Func<StoredDocument?, JsonElement?> change, Func<StoredDocument?, JsonElement, Task<StoredDocument>>? write = null,
        int attempts = 5, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        StoredDocument? current = null;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            current = await store.GetAsync(tenantId, kind, id, cancellationToken: cancellationToken);
            if (change(current) is not { } body)
                return new DocumentUpdate(current, null, false);
            try
            {
                var saved = write is null
                    ? await store.PutAsync(tenantId, kind, id, body, current?.ETag, cancellationToken)
                    : await write(current, body);
                return new DocumentUpdate(current, saved, false);
            }
            catch (Exception e) when (e is PreconditionFailedException or ConflictException)
            {
                // Another writer changed (or created) it between our read and write: read again.
            }
        }
        return new DocumentUpdate(current, null, true);
    }
}
