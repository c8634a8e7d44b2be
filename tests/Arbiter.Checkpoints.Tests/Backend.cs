using Arbiter.Store;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Checkpoints.Tests;

/// <summary>A real document store and its change feed for one test class: SQLite in memory, or the local Cosmos endpoint.</summary>
public abstract class Backend : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public IDocumentStore Store { get; protected set; } = null!;

    public IChangeFeed Feed { get; protected set; } = null!;

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>Azurite, started by infra/servers.sh (the test command sets ARBITER_TEST_STORAGE).</summary>
    public static string StorageConnectionString =>
        Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";
}

public sealed class SqliteBackend : Backend
{
    private SqliteDocumentStore? _sqlite;

    public override Task InitializeAsync()
    {
        _sqlite = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = ":memory:" + Guid.NewGuid().ToString("n") }), Time,
            NullLogger<SqliteDocumentStore>.Instance);
        Store = _sqlite;
        Feed = _sqlite;
        return Task.CompletedTask;
    }

    public override Task DisposeAsync()
    {
        _sqlite?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The local Cosmos test server started by infra/servers.sh; the test command always sets ARBITER_TEST_COSMOS_LOCAL.</summary>
public sealed class CosmosBackend : Backend
{
    // Any base64 key works: the local server does not check signatures.
    private const string AnyKey = "YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ==";
    private ServiceProvider? _provider;

    public override async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL");
        if (string.IsNullOrEmpty(endpoint))
            throw new InvalidOperationException("ARBITER_TEST_COSMOS_LOCAL is not set: start the local server (infra/servers.sh start cosmos) and set it, or run infra/test.sh.");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL_KEY") is { Length: > 0 } key ? key : AnyKey,
            ["Cosmos:Database"] = "arbiter-checkpoints-" + Guid.NewGuid().ToString("N")[..8],
            ["Cosmos:CreateIfNotExists"] = "true",
        }).Build();
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddCosmosDocumentStore(configuration)
            .BuildServiceProvider();
        var store = _provider.GetRequiredService<CosmosDocumentStore>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await store.InitializeAsync(timeout.Token);
        Store = store;
        Feed = _provider.GetRequiredService<CosmosChangeFeed>();
    }

    public override async Task DisposeAsync()
    {
        if (_provider is not null)
            await _provider.DisposeAsync();
    }
}
