using System.Text.Json;
using Arbiter.Store;

namespace Arbiter.Api.Tests.Snapshots;

/// <summary>
/// Decorates a real store (SQLite) with a switch: while <see cref="Down"/>, every call throws
/// <see cref="StoreUnavailableException"/> as an unreachable store would; while <see cref="Fault"/> is set, reads or
/// writes throw whatever it makes. The inner store stays writable, so a test can
/// commit changes "elsewhere" while this instance cannot read them.
/// </summary>
public sealed class SwitchableStore(IDocumentStore inner, IChangeFeed feed) : IDocumentStore, IChangeFeed
{
    public const string DownMessage = "the store is unreachable (test switch)";

    private volatile bool _down;

    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    public IDocumentStore Inner => inner;

    /// <summary>Every call made through this store (up or down): how a test sees that nothing asked the store.</summary>
    public int Calls => _calls;

    private int _calls;

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Guard(() => inner.GetAsync(tenantId, kind, id, includeDeleted, cancellationToken));

    public Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Guard(() => inner.ListAsync(tenantId, kind, continuation, limit, includeDeleted, cancellationToken));

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default) =>
        Guard(() => inner.PutAsync(tenantId, kind, id, body, ifMatch, cancellationToken), write: true, kind);

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default) =>
        Guard(() => inner.DeleteAsync(tenantId, kind, id, ifMatch, cancellationToken), write: true, kind);

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Guard(() => inner.GetManyAsync(tenantId, kind, ids, includeDeleted, cancellationToken));

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default) =>
        Guard(() => inner.WriteManyAsync(tenantId, writes, cancellationToken), write: true);

    public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default) =>
        Guard(() => feed.GetCurrentCursorAsync(tenantId, cancellationToken));

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default) =>
        Guard(() => feed.ReadAsync(tenantId, cursor, maxItems, cancellationToken));

    /// <summary>While set, reads (or, with <see cref="FaultWrites"/>, writes) throw what it makes: any exception a broken store might.</summary>
    public Func<Exception>? Fault { get; set; }

    public bool FaultWrites { get; set; }

    /// <summary>With <see cref="Fault"/>: only writes of this document kind fail (null: every write).</summary>
    public string? FaultKind { get; set; }

    private Task<T> Guard<T>(Func<Task<T>> call, bool write = false, string? kind = null)
    {
        Interlocked.Increment(ref _calls);
        if (_down)
            return Task.FromException<T>(new StoreUnavailableException(DownMessage));
        var applies = Fault is not null && write == FaultWrites && (FaultKind is null || FaultKind == kind);
        return applies ? Task.FromException<T>(Fault!()) : call();
    }
}
