using Arbiter.Graph.Sync;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace Arbiter.Graph.Tests;

public sealed class OptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["Store:SqlitePath"] = ":memory:";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteDocumentStore(configuration);
        services.AddEntraSync(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddEntraSync_DefaultSettings_BindsAndResolvesClient()
    {
        using var provider = Build(new() { ["Graph:TenantId"] = "tid", ["Graph:Tenants:contoso:TenantId"] = "other" });

        var options = provider.GetRequiredService<IOptions<GraphOptions>>().Value;
        Assert.Equal("https://graph.microsoft.com/v1.0", options.BaseUrl);
        Assert.Equal("other", options.For("contoso").TenantId);
        Assert.Equal("https://graph.microsoft.com/v1.0", provider.GetRequiredService<GraphServiceClient>().RequestAdapter.BaseUrl);
    }

    [Theory]
    [InlineData("Graph:BaseUrl", "http://graph.example.com/v1.0")]
    [InlineData("Graph:BaseUrl", "not a url")]
    [InlineData("Graph:PageSize", "0")]
    [InlineData("Graph:MaxRetries", "11")]
    [InlineData("Graph:ClientSecret", "s3cret")]
    public void AddEntraSync_InvalidSetting_FailsValidationNamingIt(string key, string value)
    {
        using var provider = Build(new() { [key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GraphOptions>>().Value);
        Assert.Contains(key.Split(':')[0], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEntraSync_ResolvesService()
    {
        using var provider = Build(new() { ["Graph:BaseUrl"] = "http://127.0.0.1:5999/v1.0" });

        Assert.NotNull(provider.GetRequiredService<EntraSyncService>());
    }
}
