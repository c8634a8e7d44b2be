using System.Net;
using Arbiter.Store.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Store.Tests;

/// <summary>One store per test class against a Cosmos endpoint, built through the same DI extension the hosts use.</summary>
public abstract class CosmosFixture : IAsyncLifetime
{
    private ServiceProvider? _provider;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public CosmosDocumentStore? Store { get; private set; }

    public CosmosChangeFeed? Feed { get; private set; }

    public CosmosClient? Client { get; private set; }

    public CosmosStoreOptions? Options { get; private set; }

    /// <summary>Null when this backend is not configured; the tests then skip with <see cref="SkipReason"/>.</summary>
    protected abstract Dictionary<string, string?>? Settings();

    public abstract string SkipReason { get; }

    public async Task InitializeAsync()
    {
        var settings = Settings();
        if (settings is null)
        {
            return;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddCosmosDocumentStore(configuration)
            .BuildServiceProvider();
        Options = _provider.GetRequiredService<IOptions<CosmosStoreOptions>>().Value;
        Client = _provider.GetRequiredService<CosmosClient>();
        Store = _provider.GetRequiredService<CosmosDocumentStore>();
        Feed = _provider.GetRequiredService<CosmosChangeFeed>();
        Assert.Same(Store, _provider.GetRequiredService<IDocumentStore>());
        Assert.Same(Feed, _provider.GetRequiredService<IChangeFeed>());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await Store.InitializeAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}

/// <summary>The local test server started by infra/servers.sh; the test command always sets ARBITER_TEST_COSMOS_LOCAL.</summary>
public sealed class CosmosLocalFixture : CosmosFixture
{
    // Any base64 key works: the local server does not check signatures.
    private const string AnyKey = "YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ==";

    public override string SkipReason => "never skipped";

    protected override Dictionary<string, string?> Settings()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL");
        if (string.IsNullOrEmpty(endpoint))
        {
            throw new InvalidOperationException(
                "ARBITER_TEST_COSMOS_LOCAL is not set: start the local server (infra/servers.sh start cosmos) and set it, or run infra/test.sh.");
        }

        return new()
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL_KEY") is { Length: > 0 } key ? key : AnyKey,
            ["Cosmos:Database"] = "arbiter-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cosmos:CreateIfNotExists"] = "true",
        };
    }
}

/// <summary>A real account or the official emulator, only when ARBITER_TEST_COSMOS_ENDPOINT is set.</summary>
public sealed class CosmosAccountFixture : CosmosFixture
{
    public override string SkipReason =>
        "ARBITER_TEST_COSMOS_ENDPOINT is not set (optional: a real Cosmos DB account or the official emulator; ARBITER_TEST_COSMOS_KEY for the emulator, the signed-in identity otherwise)";

    protected override Dictionary<string, string?>? Settings()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_ENDPOINT");
        return string.IsNullOrEmpty(endpoint)
            ? null
            : new()
            {
                ["Cosmos:AccountEndpoint"] = endpoint,
                ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_KEY"),
                ["Cosmos:Database"] = "arbiter-tests",
                ["Cosmos:CreateIfNotExists"] = "true",
            };
    }
}

public abstract class CosmosStoreContractTests(CosmosFixture fixture) : DocumentStoreContractTests
{
    protected CosmosDocumentStore CosmosStore
    {
        get
        {
            Skip.If(fixture.Store is null, fixture.SkipReason);
            return fixture.Store!;
        }
    }

    protected override IDocumentStore Store => CosmosStore;

    protected override IChangeFeed Feed
    {
        get
        {
            Skip.If(fixture.Feed is null, fixture.SkipReason);
            return fixture.Feed!;
        }
    }

    protected override FakeTimeProvider Time => fixture.Time;

    [SkippableFact]
    public async Task Put_KindsLandInTheirContainers()
    {
        await CosmosStore.PutAsync(Tenant, DocumentKinds.Policy, "p1", Body(new { v = 1 }), null, Ct);
        await CosmosStore.PutAsync(Tenant, DocumentKinds.Agent, "a1", Body(new { v = 1 }), null, Ct);
        await CosmosStore.PutAsync(Tenant, DocumentKinds.ReviewTask, "r1", Body(new { v = 1 }), null, Ct);

        var options = fixture.Options!;
        Assert.Equal(["policy:p1"], await ItemIdsAsync(options.PoliciesContainer));
        Assert.Equal(["agent:a1"], await ItemIdsAsync(options.DirectoryContainer));
        Assert.Equal(["reviewTask:r1"], await ItemIdsAsync(options.GovernanceContainer));
        using var read = await fixture.Client!.GetContainer(options.Database, options.PoliciesContainer)
            .ReadItemStreamAsync("policy:p1", new PartitionKey(Tenant), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [SkippableFact]
    public async Task Put_IdWithCharactersCosmosForbids_RoundTrips()
    {
        const string id = "a/b\\c?d#e%f";
        await CosmosStore.PutAsync(Tenant, Kind, id, Body(new { v = 1 }), null, Ct);

        Assert.Equal(id, (await CosmosStore.GetAsync(Tenant, Kind, id, cancellationToken: Ct))!.Id);
        Assert.Equal([id], (await CosmosStore.ListAsync(Tenant, Kind, cancellationToken: Ct)).Items.Select(d => d.Id));
    }

    private async Task<List<string>> ItemIdsAsync(string containerName)
    {
        var options = fixture.Options!;
        var query = new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.tenantId = @tenant").WithParameter("@tenant", Tenant);
        using var iterator = fixture.Client!.GetContainer(options.Database, containerName)
            .GetItemQueryIterator<string>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(Tenant) });
        var ids = new List<string>();
        while (iterator.HasMoreResults)
        {
            ids.AddRange(await iterator.ReadNextAsync(Ct));
        }

        return ids;
    }
}

public sealed class CosmosLocalServerStoreTests(CosmosLocalFixture fixture) : CosmosStoreContractTests(fixture), IClassFixture<CosmosLocalFixture>
{
    [SkippableFact]
    public async Task ChangeFeed_LocalServerWithoutChangeFeed_UsesPolling()
    {
        await Feed.GetCurrentCursorAsync(Tenant, Ct);

        Assert.Equal(CosmosChangeFeedMode.Polling, fixture.Feed!.ActiveMode);
    }
}

public sealed class CosmosAccountStoreTests(CosmosAccountFixture fixture) : CosmosStoreContractTests(fixture), IClassFixture<CosmosAccountFixture>;

public sealed class CosmosStoreOptionsTests
{
    [Theory]
    [InlineData("https://myaccount.documents.azure.com:443/", "key", false)]
    [InlineData("https://myaccount.documents.azure.com:443/", null, true)]
    [InlineData("https://127.0.0.1:8081/", "key", true)]
    [InlineData("https://localhost:8081/", "key", true)]
    [InlineData("https://[::1]:8081/", "key", true)]
    [InlineData("http://myaccount.documents.azure.com/", null, false)]
    [InlineData("", null, false)]
    public void Validation_KeyOnlyForLoopbackEndpoints(string endpoint, string? key, bool valid)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = key,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddCosmosDocumentStore(configuration).BuildServiceProvider();

        var error = Record.Exception(() => provider.GetRequiredService<IOptions<CosmosStoreOptions>>().Value);

        Assert.Equal(valid, error is null);
    }

    [Theory]
    [InlineData("Cosmos:MaxParallelism", "0")]
    [InlineData("Cosmos:MaxParallelism", "65")]
    [InlineData("Cosmos:PollingOverlap", "00:00:00.5")]
    [InlineData("Cosmos:RequestTimeout", "00:00:00")]
    public void Validation_SettingOutOfRange_FailsNamingIt(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = "https://myaccount.documents.azure.com:443/",
            [key] = value,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddCosmosDocumentStore(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CosmosStoreOptions>>().Value);

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddCosmosDocumentStore_DefaultSettings_OneReadModeAndParallelismForEveryEndpoint()
    {
        foreach (var endpoint in new[] { "https://myaccount.documents.azure.com:443/", "https://127.0.0.1:8081/" })
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cosmos:AccountEndpoint"] = endpoint }).Build();
            using var provider = new ServiceCollection().AddLogging().AddCosmosDocumentStore(configuration).BuildServiceProvider();

            var options = provider.GetRequiredService<IOptions<CosmosStoreOptions>>().Value;

            Assert.Equal((CosmosReadMode.Query, 16), (options.ReadMode, options.MaxParallelism));
        }
    }

    [Fact]
    public void AddCosmosDocumentStore_RegistersStoreAndChangeFeedAsTheirOwnSingletons()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = "https://127.0.0.1:8081/",
            ["Cosmos:Key"] = "YXJiaXRlci1sb2NhbC10ZXN0LWtleQ==",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddCosmosDocumentStore(configuration).BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<CosmosDocumentStore>(), provider.GetRequiredService<IDocumentStore>());
        Assert.Same(provider.GetRequiredService<CosmosChangeFeed>(), provider.GetRequiredService<IChangeFeed>());
    }
}
