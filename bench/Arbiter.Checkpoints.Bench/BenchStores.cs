using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Store;
using Arbiter.Store.Cosmos;
using Arbiter.Store.Sqlite;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.Checkpoints.Bench;

/// <summary>The stores a run uses: SQLite in a file, or a database on a Cosmos endpoint; checkpoints on Blob Storage.</summary>
internal sealed class BenchStores : IAsyncDisposable
{
    // The local Cosmos test server accepts any key.
    private const string AnyKey = "YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ==";
    private readonly IAsyncDisposable? _owner;

    private BenchStores(IDocumentStore store, IChangeFeed feed, IAsyncDisposable? owner)
    {
        Store = store;
        Feed = feed;
        _owner = owner;
    }

    public IDocumentStore Store { get; }

    public IChangeFeed Feed { get; }

    public static async Task<BenchStores> OpenAsync(BenchArgs args)
    {
        if (args.Store == "sqlite")
        {
            var sqlite = new SqliteDocumentStore(Microsoft.Extensions.Options.Options.Create(new SqliteStoreOptions { SqlitePath = args.SqlitePath }), TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
            return new BenchStores(sqlite, sqlite, new Disposer(sqlite.Dispose));
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = args.Cosmos,
            ["Cosmos:Key"] = AnyKey,
            ["Cosmos:Database"] = args.CosmosDatabase,
            ["Cosmos:CreateIfNotExists"] = "true",
            // The local test server has no change feed: say so rather than let every fresh process probe for one (~1 s).
            ["Cosmos:ChangeFeedMode"] = "Polling",
        }).Build();
        var provider = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddCosmosDocumentStore(configuration).BuildServiceProvider();
        var store = provider.GetRequiredService<CosmosDocumentStore>();
        await store.InitializeAsync(CancellationToken.None);
        return new BenchStores(store, provider.GetRequiredService<CosmosChangeFeed>(), provider);
    }

    public static IOptions<SnapshotOptions> Options(BenchArgs args, bool checkpoints) =>
        Microsoft.Extensions.Options.Options.Create(new SnapshotOptions
        {
            Checkpoint = new CheckpointOptions { Enabled = checkpoints, Container = args.Container },
        });

    public static SnapshotCheckpoints Checkpoints(BenchArgs args, IOptions<SnapshotOptions> options, ICheckpointStore? store = null) =>
        new(store ?? new BlobCheckpointStore(new BlobServiceClient(args.Storage), options), options, TimeProvider.System, NullLogger<SnapshotCheckpoints>.Instance);

    public ValueTask DisposeAsync() => _owner?.DisposeAsync() ?? ValueTask.CompletedTask;

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
