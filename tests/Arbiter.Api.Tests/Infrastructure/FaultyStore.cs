using System.Text.Json;
using Arbiter.Store;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// The server's real store with a switch: while <see cref="Fault"/> is set, reads (<see cref="ReadsFail"/>) or writes
/// throw that exception, as a broken or unexpected store would. Lets a test reach the edge's exception mapping.
/// </summary>
public sealed class FaultyStore(IDocumentStore inner) : IDocumentStore
{
    public Func<Exception>? Fault { get; set; }

    public bool ReadsFail { get; set; }

    public Task<StoredDocument?> GetAsync(string tenantId, string kind, string id, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Read(() => inner.GetAsync(tenantId, kind, id, includeDeleted, cancellationToken));

    public Task<DocumentPage> ListAsync(string tenantId, string kind, string? continuation = null, int limit = 100, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Read(() => inner.ListAsync(tenantId, kind, continuation, limit, includeDeleted, cancellationToken));

    public Task<StoredDocument> PutAsync(string tenantId, string kind, string id, JsonElement body, string? ifMatch, CancellationToken cancellationToken = default) =>
        Write(() => inner.PutAsync(tenantId, kind, id, body, ifMatch, cancellationToken));

    public Task<StoredDocument> DeleteAsync(string tenantId, string kind, string id, string ifMatch, CancellationToken cancellationToken = default) =>
        Write(() => inner.DeleteAsync(tenantId, kind, id, ifMatch, cancellationToken));

    public Task<IReadOnlyDictionary<string, StoredDocument>> GetManyAsync(string tenantId, string kind, IReadOnlyCollection<string> ids, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        Read(() => inner.GetManyAsync(tenantId, kind, ids, includeDeleted, cancellationToken));

    public Task<IReadOnlyList<DocumentWriteResult>> WriteManyAsync(string tenantId, IReadOnlyList<DocumentWrite> writes, CancellationToken cancellationToken = default) =>
        Write(() => inner.WriteManyAsync(tenantId, writes, cancellationToken));

    private Task<T> Read<T>(Func<Task<T>> call) => ReadsFail && Fault is { } f ? Task.FromException<T>(f()) : call();

    private Task<T> Write<T>(Func<Task<T>> call) => !ReadsFail && Fault is { } f ? Task.FromException<T>(f()) : call();
}

/// <summary>The development server over a <see cref="FaultyStore"/>.</summary>
public sealed class FaultyStoreServer : ArbiterServerFixture
{
    public FaultyStore Store => (FaultyStore)Services.GetService(typeof(IDocumentStore))!;

    protected override void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IDocumentStore));
        services.Remove(registered);
        services.Add(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton<IDocumentStore>(sp =>
            new FaultyStore((IDocumentStore)registered.ImplementationFactory!(sp))));
    }
}
