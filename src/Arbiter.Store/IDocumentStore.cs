using System.Text.Json;

namespace Arbiter.Store;

/// <summary>
/// Where the truth lives: tenant-partitioned JSON documents (policies, directory facts, governance state)
/// with optimistic concurrency (ETags) and soft deletes (tombstones), so that change consumers see deletions.
/// Two real implementations (Cosmos DB, SQLite) pass one contract suite.
/// </summary>
public interface IDocumentStore
{
    /// <summary>Reads one live document; null when it does not exist or is a tombstone (unless <paramref name="includeDeleted"/>).</summary>
    Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default);

    /// <summary>Lists documents of a kind in id order, paged by an opaque continuation.</summary>
    Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces a document. <paramref name="ifMatch"/>: null = create only (a live document with that id → <see cref="ConflictException"/>;
    /// a tombstone may be overwritten), "*" = unconditional upsert, otherwise the ETag the caller last read (stale → <see cref="PreconditionFailedException"/>).
    /// </summary>
    Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default);

    /// <summary>Soft-deletes (tombstones) a document. <paramref name="ifMatch"/> as for <see cref="PutAsync"/> ("*" or an ETag). Missing → <see cref="NotFoundException"/>.</summary>
    Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads many documents of one kind at once: id → document for those that exist (tombstones only with
    /// <paramref name="includeDeleted"/>); missing ids are absent from the answer.
    /// </summary>
    Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies many puts and deletes in one call (one transaction or a few bounded round trips instead of one per document).
    /// Each write succeeds or fails on its own, exactly as <see cref="PutAsync"/> / <see cref="DeleteAsync"/> would, and is
    /// answered by the result at the same index; writes to the same document apply in list order. Every successful write
    /// appears in the change feed like a single one. An unreachable store throws <see cref="StoreUnavailableException"/>
    /// for the whole call (some writes may then have been committed, each atomically; callers retry idempotently).
    /// </summary>
    Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default);
}

/// <summary>
/// One write of <see cref="IDocumentStore.WriteManyAsync"/>: a put when <see cref="Body"/> is set, a delete (tombstone) when
/// it is null. <see cref="IfMatch"/> means what it means for <see cref="IDocumentStore.PutAsync"/> / <see cref="IDocumentStore.DeleteAsync"/>
/// (a delete needs "*" or an ETag).
/// </summary>
public sealed record DocumentWrite(string Kind, string Id, JsonElement? Body, string? IfMatch)
{
    public static DocumentWrite Put(string kind, string id, JsonElement body, string? ifMatch) => new(kind, id, body, ifMatch);

    public static DocumentWrite Delete(string kind, string id, string ifMatch) => new(kind, id, null, ifMatch);

    public bool IsDelete => Body is null;

    /// <summary>The argument checks <see cref="IDocumentStore.PutAsync"/> / <see cref="IDocumentStore.DeleteAsync"/> make, for every implementation.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Kind);
        ArgumentException.ThrowIfNullOrEmpty(Id);
        if (Body is { ValueKind: JsonValueKind.Undefined })
        {
            throw new ArgumentException($"The body of {Kind} '{Id}' is required.", nameof(Body));
        }

        if (IsDelete && string.IsNullOrEmpty(IfMatch))
        {
            throw new ArgumentException($"Deleting {Kind} '{Id}' needs an If-Match (\"*\" or an ETag).", nameof(IfMatch));
        }
    }
}

/// <summary>Why one write of a batch was refused; the same outcomes the single-document calls throw.</summary>
public enum DocumentWriteFailure
{
    None,
    /// <summary>As <see cref="PreconditionFailedException"/>: the ETag given no longer matches.</summary>
    PreconditionFailed,
    /// <summary>As <see cref="ConflictException"/>: a create found a live document.</summary>
    Conflict,
    /// <summary>As <see cref="NotFoundException"/>: a delete found nothing live.</summary>
    NotFound,
}

/// <summary>The answer to one <see cref="DocumentWrite"/>: the stored document (a tombstone for a delete), or why it was refused.</summary>
public sealed record DocumentWriteResult(StoredDocument? Document, DocumentWriteFailure Failure, string? Message)
{
    public bool Succeeded => Failure == DocumentWriteFailure.None;

    public static DocumentWriteResult Written(StoredDocument document) => new(document, DocumentWriteFailure.None, null);

    public static DocumentWriteResult Refused(DocumentWriteFailure failure, string message) => new(null, failure, message);

    /// <summary>The refusal as the exception a single-document call would have thrown (null when it succeeded).</summary>
    public StoreException? ToException() => Failure switch
    {
        DocumentWriteFailure.None => null,
        DocumentWriteFailure.PreconditionFailed => new PreconditionFailedException(Message!),
        DocumentWriteFailure.Conflict => new ConflictException(Message!),
        _ => new NotFoundException(Message!),
    };

    /// <summary>The stored document, or the exception a single-document call would have thrown.</summary>
    public StoredDocument GetDocumentOrThrow() => Document ?? throw ToException()!;
}

/// <summary>One stored document. <see cref="Body"/> is the caller's JSON; the envelope fields are the store's.</summary>
public sealed record StoredDocument(
    string TenantId,
    string Kind,
    string Id,
    JsonElement Body,
    string ETag,
    bool Deleted,
    DateTimeOffset UpdatedAt);

public sealed record DocumentPage(IReadOnlyList<StoredDocument> Items, string? Continuation);

/// <summary>
/// Ordered changes of one tenant. Contract: every committed put or delete is delivered at least once, after the cursor
/// it was read from; for one document, changes arrive in commit order and the last one delivered is its current state.
/// Consumers apply changes idempotently (a change is the whole new document or its tombstone).
/// </summary>
public interface IChangeFeed
{
    /// <summary>A cursor positioned at "now": reading from it returns only changes committed after this call.</summary>
    Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Reads the next batch of changes after <paramref name="cursor"/>. An empty batch means "caught up".</summary>
    Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default);
}

public sealed record ChangeBatch(IReadOnlyList<StoredDocument> Changes, string Cursor);

public class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The ETag given did not match the stored document (HTTP 412).</summary>
public sealed class PreconditionFailedException(string message) : StoreException(message);

/// <summary>A create found a live document with the same id (HTTP 409).</summary>
public sealed class ConflictException(string message) : StoreException(message);

/// <summary>The document does not exist (HTTP 404).</summary>
public sealed class NotFoundException(string message) : StoreException(message);

/// <summary>The store could not be reached or answered with a failure; callers fail closed.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : StoreException(message, inner);

/// <summary>The document kinds Arbiter stores, and the container (Cosmos) or table group each belongs to.</summary>
public static class DocumentKinds
{
    // policies container
    public const string Policy = "policy";
    public const string PolicyVersion = "policyVersion";
    // directory container
    public const string User = "user";
    public const string Group = "group";
    public const string Agent = "agent";
    public const string McpServer = "mcpServer";
    public const string Tool = "tool";
    public const string DataResource = "dataResource";
    public const string Settings = "settings";
    // governance container
    public const string SyncState = "syncState";
    public const string SyncStatus = "syncStatus";
    public const string Baseline = "baseline";
    public const string Finding = "finding";
    public const string ReviewTask = "reviewTask";
    public const string Audit = "audit";

    public static readonly IReadOnlySet<string> Policies = new HashSet<string>(StringComparer.Ordinal) { Policy, PolicyVersion };
    public static readonly IReadOnlySet<string> Directory = new HashSet<string>(StringComparer.Ordinal) { User, Group, Agent, McpServer, Tool, DataResource, Settings };
    public static readonly IReadOnlySet<string> Governance = new HashSet<string>(StringComparer.Ordinal) { SyncState, SyncStatus, Baseline, Finding, ReviewTask, Audit };

    /// <summary>The kinds that feed the decision snapshot (their changes trigger a refresh).</summary>
    public static bool FeedsSnapshot(string kind) => kind == Policy || Directory.Contains(kind);
}

public static class DocumentStoreExtensions
{
    /// <summary>Every live document of a kind, page by page (the paging loop every full read needs).</summary>
    public static async IAsyncEnumerable<StoredDocument> ListAllAsync(
        this IDocumentStore store, string tenantId, string kind, int pageSize = 500,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? continuation = null;
        do
        {
            var page = await store.ListAsync(tenantId, kind, continuation, pageSize, includeDeleted: false, cancellationToken);
            foreach (var document in page.Items)
                yield return document;
            continuation = page.Continuation;
        }
        while (!string.IsNullOrEmpty(continuation));
    }
}
