using Arbiter.Store.Cosmos.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The Cosmos sink against the local test server (infra/servers.sh start cosmos; infra/test.sh sets the variables)
/// or, with the same variables pointed at it, a real account or the official emulator.
/// </summary>
public sealed class CosmosDecisionLogFixture : IAsyncLifetime
{
    // Any base64 key works: the local server does not check signatures.
    private const string AnyKey = "YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ==";
    private ServiceProvider? _provider;

    public CosmosDecisionLogSink Sink { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL");
        if (string.IsNullOrEmpty(endpoint))
        {
            throw new InvalidOperationException(
                "ARBITER_TEST_COSMOS_LOCAL is not set: start the local server (infra/servers.sh start cosmos) and set it, or run infra/test.sh.");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL_KEY") is { Length: > 0 } key ? key : AnyKey,
            ["Cosmos:Database"] = "arbiter-dl-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cosmos:CreateIfNotExists"] = "true",
            ["DecisionLog:Buckets"] = "4",
        }).Build();
        _provider = new ServiceCollection().AddLogging().AddCosmosDecisionLogSink(configuration).BuildServiceProvider();
        Sink = _provider.GetRequiredService<CosmosDecisionLogSink>();
        Assert.Same(Sink, _provider.GetRequiredService<IDecisionLogSink>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}

public sealed class CosmosDecisionLogSinkTests(CosmosDecisionLogFixture fixture) : DecisionLogSinkContract, IClassFixture<CosmosDecisionLogFixture>
{
    protected override IDecisionLogSink Sink => fixture.Sink;
}
