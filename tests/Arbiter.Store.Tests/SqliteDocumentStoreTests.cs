using System.Text.Json;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Store.Tests;

/// <summary>The contract against the embedded store, one temporary database file per test.</summary>
public sealed class SqliteDocumentStoreTests : DocumentStoreContractTests, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "arbiter-store-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDocumentStore _store;

    public SqliteDocumentStoreTests()
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        _store = Open();
    }

    protected override IDocumentStore Store => _store;

    protected override IChangeFeed Feed => _store;

    protected override FakeTimeProvider Time { get; }

    private string DatabasePath => Path.Combine(_folder, "arbiter.db");

    [SkippableFact]
    public async Task Put_ThenReopenFile_WriteSurvives()
    {
        var written = await _store.PutAsync(Tenant, Kind, "durable", Body(new { v = 7 }), null, Ct);
        var cursor = await _store.GetCurrentCursorAsync(Tenant, Ct);

        using var reopened = Open();

        var read = await reopened.GetAsync(Tenant, Kind, "durable", cancellationToken: Ct);
        Assert.Equal(written.ETag, read!.ETag);
        Assert.Equal(7, V(read));
        Assert.Equal(cursor, await reopened.GetCurrentCursorAsync(Tenant, Ct));
    }

    [SkippableFact]
    public async Task WriteMany_ThenReopenFile_WritesSurvive()
    {
        var first = await _store.PutAsync(Tenant, Kind, "update", Body(new { v = 1 }), null, Ct);
        var results = await _store.WriteManyAsync(Tenant,
        [
            DocumentWrite.Put(Kind, "create", Body(new { v = 1 }), null),
            DocumentWrite.Put(Kind, "update", Body(new { v = 2 }), first.ETag),
        ], Ct);
        var cursor = await _store.GetCurrentCursorAsync(Tenant, Ct);

        using var reopened = Open();

        var read = await reopened.GetManyAsync(Tenant, Kind, ["create", "update"], cancellationToken: Ct);
        Assert.Equal(results[0].Document!.ETag, read["create"].ETag);
        Assert.Equal(results[1].Document!.ETag, read["update"].ETag);
        Assert.Equal(2, V(read["update"]));
        Assert.Equal(cursor, await reopened.GetCurrentCursorAsync(Tenant, Ct));
    }

    [SkippableFact]
    public async Task TwoInstancesOnOneFile_RacingBatchesOverOneDocument_EachWriteWinsOrIsRefused()
    {
        using var second = Open();
        var original = await _store.PutAsync(Tenant, Kind, "p1", Body(new { v = 0 }), null, Ct);
        using var gate = new ManualResetEventSlim();
        var racers = Enumerable.Range(1, 6).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? _store : second;
            gate.Wait(Ct);
            return await store.WriteManyAsync(Tenant,
            [
                DocumentWrite.Put(Kind, "p1", Body(new { v = i }), original.ETag),
                DocumentWrite.Put(Kind, $"own-{i}", Body(new { v = i }), null),
            ], Ct);
        }, Ct)).ToList();

        gate.Set();
        var results = await Task.WhenAll(racers);

        var winner = Assert.Single(results, r => r[0].Succeeded);
        Assert.All(results.Where(r => !r[0].Succeeded), r => Assert.Equal(DocumentWriteFailure.PreconditionFailed, r[0].Failure));
        Assert.All(results, r => Assert.True(r[1].Succeeded));
        Assert.Equal(winner[0].Document!.ETag, (await second.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct))!.ETag);
    }

    [SkippableFact]
    public async Task TwoInstancesOnOneFile_RacingWritersWithSameETag_ExactlyOneWins()
    {
        using var second = Open();
        var original = await _store.PutAsync(Tenant, Kind, "p1", Body(new { v = 0 }), null, Ct);
        using var gate = new ManualResetEventSlim();
        var racers = Enumerable.Range(1, 10).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? _store : second;
            gate.Wait(Ct);
            try
            {
                return (StoredDocument?)await store.PutAsync(Tenant, Kind, "p1", Body(new { v = i }), original.ETag, Ct);
            }
            catch (PreconditionFailedException)
            {
                return null;
            }
        }, Ct)).ToList();

        gate.Set();
        var results = await Task.WhenAll(racers);

        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(winner!.ETag, (await second.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct))!.ETag);
        Assert.Equal(winner.ETag, (await _store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct))!.ETag);
    }

    [SkippableFact]
    public async Task TwoInstancesOnOneFile_ChangesOfBothAppearInOneFeed()
    {
        using var second = Open();
        var cursor = await _store.GetCurrentCursorAsync(Tenant, Ct);

        var tasks = Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? _store : second).PutAsync(Tenant, Kind, $"p{i}", Body(new { v = i }), null, Ct));
        await Task.WhenAll(tasks);

        var (changes, _) = await DrainAsync(Tenant, cursor, maxItems: 7);
        Assert.Equal(20, changes.Select(d => d.Id).Distinct().Count());
    }

    [SkippableFact]
    public async Task SharedInMemoryDatabase_Works()
    {
        using var memory = new SqliteDocumentStore(
            Options.Create(new SqliteStoreOptions { SqlitePath = ":memory:" + Guid.NewGuid().ToString("N") }), Time, NullLogger<SqliteDocumentStore>.Instance);

        await memory.PutAsync(Tenant, Kind, "m", Body(new { v = 1 }), null, Ct);

        Assert.NotNull(await memory.GetAsync(Tenant, Kind, "m", cancellationToken: Ct));
    }

    [Fact]
    public void AddSqliteDocumentStore_WithoutPath_FailsValidation()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSqliteDocumentStore(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value);
        Assert.Contains("Store:SqlitePath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddSqliteDocumentStore_WithPath_ResolvesOneStoreForBothInterfaces()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Store:SqlitePath"] = Path.Combine(_folder, "di.db") })
            .Build();
        await using var provider = new ServiceCollection().AddLogging().AddSqliteDocumentStore(configuration).BuildServiceProvider();

        var store = provider.GetRequiredService<IDocumentStore>();

        Assert.Same(store, provider.GetRequiredService<IChangeFeed>());
        await store.PutAsync(Tenant, Kind, "di", JsonSerializer.SerializeToElement(new { v = 1 }), null, Ct);
    }

    public void Dispose()
    {
        _store.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; the OS cleans the temp directory.
        }
    }

    private SqliteDocumentStore Open() => new(
        Options.Create(new SqliteStoreOptions { SqlitePath = DatabasePath }), Time, NullLogger<SqliteDocumentStore>.Instance);
}
