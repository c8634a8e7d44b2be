using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// Spilled records are drained into the store of whichever process finds them, so the default spill directory is one
/// per store: two deployments on one machine must never drain each other's records.
/// </summary>
public sealed class SpillDirectoryTests
{
    private static string SpillOf(Action<IServiceCollection, IConfiguration> register, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddLogging();
        register(services, configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DecisionLogOptions>>().Value.SpillDirectory;
    }

    private static string Sqlite(string path) =>
        SpillOf((s, c) => s.AddSqliteDecisionLogSink(c), ("Store:SqlitePath", path));

    private static string Cosmos(string endpoint, string database) =>
        SpillOf((s, c) => s.AddCosmosDecisionLogSink(c), ("Cosmos:AccountEndpoint", endpoint), ("Cosmos:Database", database));

    [Fact]
    public void SpillDirectory_NotConfigured_OnePerSqliteFile()
    {
        var a = Path.Combine(Path.GetTempPath(), "arbiter-spill-a", "store.db");
        var b = Path.Combine(Path.GetTempPath(), "arbiter-spill-b", "store.db");

        Assert.Equal(Sqlite(a), Sqlite(a));
        Assert.NotEqual(Sqlite(a), Sqlite(b));
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "arbiter", "decision-spill"), Sqlite(a));
    }

    [Fact]
    public void SpillDirectory_NotConfigured_InMemoryStoresNeverShare()
    {
        Assert.NotEqual(Sqlite(":memory:x"), Sqlite(":memory:x"));
    }

    [Fact]
    public void SpillDirectory_NotConfigured_OnePerCosmosAccountAndDatabase()
    {
        Assert.Equal(Cosmos("https://a.documents.azure.com:443/", "arbiter"), Cosmos("https://A.documents.azure.com:443", "arbiter"));
        Assert.NotEqual(Cosmos("https://a.documents.azure.com:443/", "arbiter"), Cosmos("https://b.documents.azure.com:443/", "arbiter"));
        Assert.NotEqual(Cosmos("https://a.documents.azure.com:443/", "arbiter"), Cosmos("https://a.documents.azure.com:443/", "other"));
        Assert.NotEqual(Cosmos("https://a.documents.azure.com:443/", "arbiter"), Sqlite(Path.Combine(Path.GetTempPath(), "x.db")));
    }

    [Fact]
    public void SpillDirectory_Configured_IsKept()
    {
        var configured = Path.Combine(Path.GetTempPath(), "my-spill");
        var spill = SpillOf((s, c) => s.AddSqliteDecisionLogSink(c), ("Store:SqlitePath", ":memory:y"), ("DecisionLog:SpillDirectory", configured));

        Assert.Equal(configured, spill);
    }
}
