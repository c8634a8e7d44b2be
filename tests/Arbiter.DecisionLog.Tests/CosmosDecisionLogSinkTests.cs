using Arbiter.Store.Cosmos.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The Cosmos sink against a real account or the official emulator: <c>ARBITER_TEST_COSMOS_ENDPOINT</c> (+
/// <c>ARBITER_TEST_COSMOS_KEY</c>). Not against the local npm server: its query engine spins at 100% CPU on the sink's
/// partition-list query (<c>c.pk IN (...) ... ORDER BY c.sk DESC</c>) and then answers nothing, which would stall every
/// later Cosmos test. infra/test.sh therefore filters out <c>Requires=RealCosmos</c>.
/// </summary>
public sealed class CosmosDecisionLogFixture : IAsyncLifetime
{
    private ServiceProvider? _provider;

    public CosmosDecisionLogSink Sink { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_ENDPOINT");
        if (string.IsNullOrEmpty(endpoint))
        {
            throw new InvalidOperationException(
                "ARBITER_TEST_COSMOS_ENDPOINT is not set: these tests need a real Cosmos DB account or the official emulator (see the class comment).");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_KEY") is { Length: > 0 } key ? key : null,
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

[Trait("Requires", "RealCosmos")]
public sealed class CosmosDecisionLogSinkTests(CosmosDecisionLogFixture fixture) : DecisionLogSinkContract, IClassFixture<CosmosDecisionLogFixture>
{
    protected override IDecisionLogSink Sink => fixture.Sink;
}
