using System.Text.Json;
using Arbiter.Api.Tests.Snapshots;
using Arbiter.Runtime.Policies;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Api.Tests.Admin;

/// <summary>
/// A policy is never enforced without its history: the version is written first, so a write cut short after it (the
/// process dying, the store failing) leaves at most a version of a change that did not happen — never a stored policy
/// without one. A refused write (stale ETag) withdraws the version it recorded.
/// </summary>
public sealed class PolicyVersionOrderTests : IDisposable
{
    private const string Tenant = "t1";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SqliteDocumentStore _sqlite;
    private readonly SwitchableStore _store;
    private readonly PolicyVersions _versions;

    public PolicyVersionOrderTests()
    {
        _sqlite = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = ":memory:" + Guid.NewGuid().ToString("n") }), _time,
            NullLogger<SqliteDocumentStore>.Instance);
        _store = new SwitchableStore(_sqlite, _sqlite);
        _versions = new PolicyVersions(_store, _time);
    }

    public void Dispose() => _sqlite.Dispose();

    private static JsonElement Policy(string effect) =>
        JsonDocument.Parse($$$"""{"id":"p1","effect":"{{{effect}}}","actions":["agent.invoke"],"subjects":{"users":["alice"]},"agents":{"ids":["a1"]}}""").RootElement.Clone();

    [Fact]
    public async Task SaveAsync_PolicyWriteCutShort_NoPolicyWithoutAVersion()
    {
        _store.Fault = () => new StoreUnavailableException("the process died here (test)");
        _store.FaultWrites = true;
        _store.FaultKind = DocumentKinds.Policy;

        await Assert.ThrowsAsync<StoreUnavailableException>(() => _versions.SaveAsync(Tenant, "p1", Policy("permit"), null, "create", "admin", CancellationToken.None));
        _store.Fault = null;

        Assert.Null(await _sqlite.GetAsync(Tenant, DocumentKinds.Policy, "p1"));
        Assert.Single(await _versions.ListAsync(Tenant, "p1", CancellationToken.None));
    }

    [Fact]
    public async Task SaveAsync_VersionWriteFails_PolicyNotWritten()
    {
        _store.Fault = () => new StoreUnavailableException("down (test)");
        _store.FaultWrites = true;
        _store.FaultKind = DocumentKinds.PolicyVersion;

        await Assert.ThrowsAsync<StoreUnavailableException>(() => _versions.SaveAsync(Tenant, "p1", Policy("permit"), null, "create", "admin", CancellationToken.None));
        _store.Fault = null;

        Assert.Null(await _sqlite.GetAsync(Tenant, DocumentKinds.Policy, "p1"));
        Assert.Empty(await _versions.ListAsync(Tenant, "p1", CancellationToken.None));
    }

    [Fact]
    public async Task SaveAsync_StaleETag_RefusedAndItsVersionWithdrawn()
    {
        await _versions.SaveAsync(Tenant, "p1", Policy("permit"), null, "create", "admin", CancellationToken.None);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => _versions.SaveAsync(Tenant, "p1", Policy("forbid"), "stale-etag", "update", "admin", CancellationToken.None));

        var history = await _versions.ListAsync(Tenant, "p1", CancellationToken.None);
        Assert.Equal([1], history.Select(v => v.Version));
        Assert.Equal("permit", (await _sqlite.GetAsync(Tenant, DocumentKinds.Policy, "p1"))!.Body.GetProperty("effect").GetString());
    }
}
