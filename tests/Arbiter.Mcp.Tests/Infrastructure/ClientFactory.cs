using Arbiter.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>An <see cref="ArbiterClient"/> built the way an application builds it: configuration, DI, the real HTTP stack.</summary>
public static class ClientFactory
{
    public static (ArbiterClient Client, ServiceProvider Services) Create(Uri endpoint, FakeTimeProvider time, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var provider = Services(endpoint, time, settings, configure);
        return (provider.GetRequiredService<ArbiterClient>(), provider);
    }

    public static ServiceProvider Services(Uri endpoint, FakeTimeProvider time, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Arbiter:Client:Endpoint"] = endpoint.ToString(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            values["Arbiter:Client:" + key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddArbiterClient(configuration.GetSection("Arbiter:Client"));
        configure?.Invoke(services);
        return services.BuildServiceProvider(validateScopes: true);
    }
}
