using System.Net;
using System.Net.Sockets;
using Arbiter.Api;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Runtime;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Storage.Queues;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace Arbiter.Api.Tests.Telemetry;

/// <summary>
/// Every Azure client of the app — Cosmos DB, Microsoft Graph, the governance queue, the Azure Monitor exporter — is a DI
/// singleton that gets its tokens from the one <see cref="TokenCredential"/> in DI. Each client here is pointed at a
/// loopback port this test holds bound but never listens on (so no other test's server can take it, and a connection is
/// refused at once): it asks the credential for a token, then fails to connect, and is cancelled.
/// </summary>
public sealed class AzureClientsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AddArbiter_EveryAzureClient_TakesItsTokenFromTheOneCredential()
    {
        var credential = new RecordingCredential();
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        using var host = Build(credential, new()
        {
            ["Store:Kind"] = "Cosmos",
            ["Cosmos:AccountEndpoint"] = $"https://127.0.0.1:{port}/",
            ["Cosmos:CreateIfNotExists"] = "false",
            ["Graph:BaseUrl"] = $"https://127.0.0.1:{port}/v1.0",
            ["Governance:Queue:serviceUri"] = $"https://127.0.0.1:{port}/devstoreaccount1",
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = $"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:{port}/",
        });
        var services = host.Services;
        using var cancel = new CancellationTokenSource();

        Assert.Same(credential, services.GetRequiredService<TokenCredential>());
        Assert.Same(credential, services.GetRequiredService<AzureComponentFactory>().CreateTokenCredential(new ConfigurationBuilder().Build()));
        Assert.Same(credential, services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName).Credential);

        var queue = services.GetRequiredService<QueueServiceClient>().GetPropertiesAsync(cancel.Token);
        await AskedAsync(credential, "storage.azure.com", "the governance queue");
        var graph = services.GetRequiredService<GraphServiceClient>().Organization.GetAsync(cancellationToken: cancel.Token);
        await AskedAsync(credential, "graph.microsoft.com", "Microsoft Graph");
        var cosmos = services.GetRequiredService<CosmosClient>().GetDatabase("arbiter").ReadAsync(cancellationToken: cancel.Token);
        await AskedAsync(credential, "127.0.0.1", "Cosmos DB");
        await cancel.CancelAsync();

        Assert.Same(services.GetRequiredService<QueueServiceClient>(), services.GetRequiredService<QueueServiceClient>());
        await Assert.ThrowsAnyAsync<Exception>(() => queue.WaitAsync(Limit));
        await Assert.ThrowsAnyAsync<Exception>(() => graph.WaitAsync(Limit));
        services.GetRequiredService<CosmosClient>().Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => cosmos.WaitAsync(Limit));
    }

    /// <summary>Waits until a scope containing <paramref name="scope"/> is asked for; on a timeout, says which client and what was asked.</summary>
    private static async Task AskedAsync(RecordingCredential credential, string scope, string client)
    {
        try
        {
            await credential.Asked(scope).WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{client} did not ask the credential for a token with a scope containing '{scope}' within {Limit}; asked so far: [{string.Join(", ", credential.Scopes)}]");
        }
    }

    [Theory]
    [InlineData("Governance:Queue", "UseDevelopmentStorage=true")]
    [InlineData("AzureWebJobsStorage", "UseDevelopmentStorage=true")]
    [InlineData("Governance:Queue:connectionString", "UseDevelopmentStorage=true")]
    public void AddArbiterGovernance_QueueConnectionString_BoundFromConfiguration(string key, string value)
    {
        using var host = Build(new RecordingCredential(), new() { [key] = value });

        var queues = host.Services.GetRequiredService<QueueServiceClient>();

        Assert.Equal("devstoreaccount1", queues.AccountName);
    }

    [Fact]
    public void AddArbiterGovernance_QueueSectionAndHostStorage_QueueSectionWins()
    {
        using var host = Build(new RecordingCredential(), new()
        {
            ["Governance:Queue:serviceUri"] = "https://arbiterqueues.queue.core.windows.net",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });

        Assert.Equal("arbiterqueues", host.Services.GetRequiredService<QueueServiceClient>().AccountName);
    }

    [Fact]
    public void AddArbiterGovernance_NoQueueConfigured_ResolvingSaysWhatToSet()
    {
        using var host = Build(new RecordingCredential(), []);

        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<QueueServiceClient>());

        Assert.Contains("Governance:Queue", error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(TokenCredential credential, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        settings.TryAdd("Store:Kind", "Sqlite");
        settings.TryAdd("Store:SqlitePath", Path.Combine(Path.GetTempPath(), $"arbiter-clients-{Guid.NewGuid():n}.db"));
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(credential);
        builder.AddArbiterApi();
        builder.AddArbiterSync();
        builder.AddArbiterTelemetry();
        builder.AddArbiterGovernanceApi();
        return builder.Build();
    }
}
