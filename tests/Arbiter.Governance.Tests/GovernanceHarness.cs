using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Runtime.Snapshots;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Reviews;
using Arbiter.Graph;
using Arbiter.Graph.Sync;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Arbiter.Governance.Tests;

/// <summary>Adds a dummy bearer token: the simulator only checks that one is sent.</summary>
internal sealed class DummyBearerProvider : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        request.Headers.Add("Authorization", "Bearer simulator-token");
        return Task.CompletedTask;
    }
}

/// <summary>
/// One SQLite store in a temp file, the governance services wired by <c>AddArbiterGovernance</c> on a fake clock, a
/// unique queue on Azurite (ARBITER_TEST_STORAGE), and optionally the Graph simulator with the real Entra sync.
/// </summary>
internal sealed class GovernanceHarness : IAsyncDisposable
{
    public const string Tenant = "contoso";

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"arbiter-gov-{Guid.NewGuid():N}.db");
    private readonly ServiceProvider _services;
    private readonly List<IDisposable> _disposables = [];

    private GovernanceHarness(Dictionary<string, string?>? settings)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        Store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = _path }), Time, NullLogger<SqliteDocumentStore>.Instance);
        QueueName = "gov-" + Guid.NewGuid().ToString("N")[..20];
        var values = new Dictionary<string, string?>
        {
            ["Governance:ReviewQueue"] = QueueName,
            ["Governance:QueueConnection"] = "TestStorage",
            ["TestStorage"] = Storage,
            ["Governance:PeriodicReviewDays"] = "0",
        };
        foreach (var (k, v) in settings ?? [])
            values[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IDocumentStore>(Store);
        services.AddSingleton<IChangeFeed>(Store);
        services.AddArbiterGovernance(configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public static string Storage => Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } s ? s : "UseDevelopmentStorage=true";

    public FakeTimeProvider Time { get; }
    public SqliteDocumentStore Store { get; }
    public string QueueName { get; }
    public GraphSimulator.GraphSimulator? Simulator { get; private set; }
    public EntraSyncService? Sync { get; private set; }

    public DriftDetector Detector => Get<DriftDetector>();
    public ReviewActions Actions => Get<ReviewActions>();
    public OverdueSweeper Sweeper => Get<OverdueSweeper>();
    public ReviewDelivery Delivery => Get<ReviewDelivery>();
    public ReviewScheduler Scheduler => Get<ReviewScheduler>();
    public GovernanceQueries Queries => Get<GovernanceQueries>();
    public TenantSnapshots Snapshots => Get<TenantSnapshots>();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static Task<GovernanceHarness> StartAsync(Dictionary<string, string?>? settings = null) => Task.FromResult(new GovernanceHarness(settings));

    /// <summary>Starts the Graph simulator and the real Entra sync against it.</summary>
    public static async Task<GovernanceHarness> StartWithGraphAsync(Dictionary<string, string?>? settings = null)
    {
        var harness = new GovernanceHarness(settings);
        harness.Simulator = await GraphSimulator.GraphSimulator.StartAsync();
        var options = new GraphOptions
        {
            BaseUrl = harness.Simulator.BaseUrl,
            PageSize = 5,
            AgentPageSize = 3,
            MaxRetries = 3,
            RetryDelay = TimeSpan.FromSeconds(1),
            MaxAttempts = 4,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RequestTimeout = TimeSpan.FromSeconds(20),
        };
        var registry = new GraphClientRegistry(Options.Create(options), authenticationOverride: new DummyBearerProvider());
        harness._disposables.Add(registry);
        harness.Sync = new EntraSyncService(harness.Store, registry, Options.Create(options), TimeProvider.System, NullLogger<EntraSyncService>.Instance);
        return harness;
    }

    public async Task SyncAsync()
    {
        var result = await Sync!.SyncTenantAsync(Tenant, null, CancellationToken.None);
        Assert.True(result.Outcome == SyncOutcome.Succeeded, $"{result.Outcome}: {string.Join("; ", result.Errors.Select(e => $"{e.Resource}: {e.Message}"))}");
    }

    public Task PutAsync(string kind, string id, JsonObject body, string tenant = Tenant)
    {
        body["id"] = id;
        return Store.PutAsync(tenant, kind, id, JsonSerializer.SerializeToElement(body), "*");
    }

    public static JsonArray Array(params string[] values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];

    public Task PolicyAsync(string id, JsonObject body, string tenant = Tenant) => PutAsync(DocumentKinds.Policy, id, body, tenant);

    /// <summary>An MCP server with tools, each "id:sensitivity".</summary>
    public async Task ServerAsync(string server, string sensitivity, string tenant = Tenant, params string[] tools)
    {
        await PutAsync(DocumentKinds.McpServer, server, new JsonObject { ["sensitivity"] = sensitivity }, tenant);
        foreach (var tool in tools)
        {
            var parts = tool.Split(':');
            await PutAsync(DocumentKinds.Tool, parts[0], new JsonObject { ["server"] = server, ["sensitivity"] = parts[1] }, tenant);
        }
    }

    public async Task<PolicySnapshot> SnapshotAsync(string tenant = Tenant)
    {
        await Snapshots.RefreshAsync(tenant, CancellationToken.None);
        return (await Snapshots.GetAsync(tenant, CancellationToken.None)).Snapshot!;
    }

    public async Task<bool> MayInvokeAsync(string user, string agent, string tenant = Tenant) =>
        (await SnapshotAsync(tenant)).Evaluate(new DecisionRequest(new Entity("user", user), "agent.invoke", new Entity("agent", agent))).Allowed;

    public Task<IReadOnlyList<FindingRecord>> FindingsAsync(string? agent = null, string? state = null, string tenant = Tenant) =>
        Queries.ListFindingsAsync(tenant, new FindingFilter(agent, null, state, null, 1000), CancellationToken.None);

    public Task<IReadOnlyList<ReviewTaskRecord>> TasksAsync(string? agent = null, string? state = null, string tenant = Tenant) =>
        Queries.ListTasksAsync(tenant, new TaskFilter(agent, null, state, 1000), CancellationToken.None);

    public QueueClient QueueClient() =>
        new QueueServiceClient(Storage, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }).GetQueueClient(QueueName);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await QueueClient().DeleteIfExistsAsync();
        }
        catch (Azure.RequestFailedException)
        {
            // best effort
        }
        if (Simulator is not null)
            await Simulator.DisposeAsync();
        await _services.DisposeAsync();
        foreach (var d in _disposables)
            d.Dispose();
        Store.Dispose();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try
            {
                File.Delete(_path + suffix);
            }
            catch (IOException)
            {
                // a pooled connection may still hold the file
            }
        }
    }
}
