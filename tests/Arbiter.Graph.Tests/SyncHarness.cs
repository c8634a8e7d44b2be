using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Graph.Sync;
using Arbiter.GraphSimulator;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Arbiter.Graph.Tests;

/// <summary>Adds a dummy bearer token: the simulator only checks that one is sent.</summary>
public sealed class DummyBearerProvider : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        request.Headers.Add("Authorization", "Bearer simulator-token");
        return Task.CompletedTask;
    }
}

/// <summary>Reports progress inline (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
public sealed class InlineProgress(Action<SyncProgress> onReport) : IProgress<SyncProgress>
{
    public void Report(SyncProgress value) => onReport(value);
}

/// <summary>
/// One simulator, one SQLite store in a temp file, and the real sync service wired to both, all on one
/// <see cref="WaitSkippingClock"/>: a Retry-After or backoff the sync waits moves that clock, not the wall clock.
/// </summary>
public sealed class SyncHarness : IAsyncDisposable
{
    public const string Tenant = "contoso";

    private readonly List<string> _files = [];
    private readonly List<IDisposable> _disposables = [];

    private SyncHarness(GraphSimulator.GraphSimulator simulator, WaitSkippingClock clock)
    {
        Simulator = simulator;
        Clock = clock;
    }

    public GraphSimulator.GraphSimulator Simulator { get; }
    public WaitSkippingClock Clock { get; }
    public SimulatedDirectory Directory => Simulator.Directory;
    public SqliteDocumentStore Store { get; private set; } = null!;
    public EntraSyncService Service { get; private set; } = null!;

    public static async Task<SyncHarness> StartAsync(Action<GraphOptions>? configure = null)
    {
        var clock = new WaitSkippingClock();
        var harness = new SyncHarness(await GraphSimulator.GraphSimulator.StartAsync(clock), clock);
        harness.Store = harness.NewStore();
        harness.Service = harness.NewService(harness.Store, configure);
        return harness;
    }

    public GraphOptions DefaultOptions() => new()
    {
        BaseUrl = Simulator.BaseUrl,
        PageSize = 5,
        AgentPageSize = 3,
        MaxRetries = 3,
        RetryDelay = TimeSpan.FromSeconds(1),
        MaxAttempts = 4,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    public SqliteDocumentStore NewStore()
    {
        var path = Path.Combine(Path.GetTempPath(), $"arbiter-graph-{Guid.NewGuid():N}.db");
        _files.Add(path);
        var store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = path }), Clock, NullLogger<SqliteDocumentStore>.Instance);
        _disposables.Add(store);
        return store;
    }

    public EntraSyncService NewService(IDocumentStore store, Action<GraphOptions>? configure = null)
    {
        var options = DefaultOptions();
        configure?.Invoke(options);
        var validation = new GraphOptionsValidator().Validate(null, options);
        Assert.True(validation.Succeeded, validation.FailureMessage);
        var registry = new GraphClientRegistry(Options.Create(options), authenticationOverride: new DummyBearerProvider(), time: Clock);
        _disposables.Add(registry);
        return new EntraSyncService(store, registry, Options.Create(options), Clock, NullLogger<EntraSyncService>.Instance);
    }

    public Task<SyncResult> SyncAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Service.SyncTenantAsync(Tenant, progress, cancellationToken);

    public static void AssertSucceeded(SyncResult result) =>
        Assert.True(result.Outcome == SyncOutcome.Succeeded, $"{result.Outcome}: {string.Join("; ", result.Errors.Select(e => $"{e.Resource}: {e.Message}"))}");

    public async Task<JsonElement?> BodyAsync(string kind, string id, IDocumentStore? store = null) =>
        (await (store ?? Store).GetAsync(Tenant, kind, id))?.Body;

    public async Task<bool> IsTombstoneAsync(string kind, string id) =>
        (await Store.GetAsync(Tenant, kind, id, includeDeleted: true)) is { Deleted: true };

    public static string[] Strings(JsonElement body, string property) =>
        [.. body.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>A comparable picture of the directory kinds: id → body (minus sync bookkeeping) or "deleted".</summary>
    public static async Task<SortedDictionary<string, string>> SnapshotAsync(IDocumentStore store)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var kind in new[] { DocumentKinds.User, DocumentKinds.Group, DocumentKinds.Agent })
        {
            string? continuation = null;
            do
            {
                var page = await store.ListAsync(Tenant, kind, continuation, 500, includeDeleted: true);
                foreach (var doc in page.Items)
                {
                    var body = JsonNode.Parse(doc.Body.GetRawText())!.AsObject();
                    body.Remove("syncGeneration");
                    result[$"{kind}/{doc.Id}"] = doc.Deleted ? "deleted" : body.ToJsonString();
                }

                continuation = page.Continuation;
            }
            while (!string.IsNullOrEmpty(continuation));
        }

        return result;
    }

    /// <summary>A small directory: 12 users, nested groups, 4 agents.</summary>
    public void Seed()
    {
        for (var i = 1; i <= 12; i++)
        {
            Directory.AddUser($"u{i:00}", $"User {i}", department: i % 2 == 0 ? "Finance" : "Sales", jobTitle: "Analyst");
        }

        Directory.AddGroup("g-finance", "Finance", ["u02", "u04", "u06", "u08"]);
        Directory.AddGroup("g-sales", "Sales", ["u01", "u03", "u05"]);
        Directory.AddGroup("g-all", "Everyone", ["g-finance", "g-sales", "u12"]);
        Directory.AddGroup("g-empty", "Empty");
        Directory.AddAgent("a-1", "Invoice agent", "bp-1", tags: ["finance"], owners: ["u01"], sponsors: ["u02"]);
        Directory.AddAgent("a-2", "Sales agent", "bp-1", tags: ["sales", "crm"], owners: ["u03", "u05"], sponsors: ["u04", "g-sales"]);
        Directory.AddAgent("a-3", "HR agent", "bp-2", owners: ["u06"], sponsors: ["u06"]);
        Directory.AddAgent("a-4", "Ops agent", "bp-2", sponsors: ["u07"]);
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        foreach (var file in _files)
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try
                {
                    File.Delete(file + suffix);
                }
                catch (IOException)
                {
                    // best effort: a pooled connection may still hold the file on some platforms
                }
            }
        }
    }
}
