using Arbiter.Api.Tests.Infrastructure;
using Azure;
using Azure.Storage.Queues;

namespace Arbiter.Api.Tests.Governance;

/// <summary>
/// The storage account governance announces review tasks on: <c>ARBITER_TEST_STORAGE</c> (the test command runs Azurite
/// on its default ports and sets <c>UseDevelopmentStorage=true</c>), and a review queue of its own per server.
/// </summary>
public static class GovernanceStorage
{
    public const string Variable = "ARBITER_TEST_STORAGE";

    public static string Connection => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } c ? c : "UseDevelopmentStorage=true";

    public static string NewQueueName() => "gov-tests-" + Guid.NewGuid().ToString("n")[..24];

    /// <summary>Turns governance on: the queue connection (the server maps the routes only with one) and this server's queue.</summary>
    public static void Apply(IDictionary<string, string?> settings, string queue)
    {
        settings["Governance:Queue"] = Connection;
        settings["Governance:ReviewQueue"] = queue;
    }

    /// <summary>A client of the same queue, decoding Base64 as the server encodes (and the Functions queue trigger expects).</summary>
    public static QueueClient Queue(string name, int maxRetries = 3)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return new QueueClient(Connection, name, options);
    }

    public static void Delete(string queue)
    {
        try
        {
            Queue(queue, maxRetries: 0).DeleteIfExists();
        }
        catch (RequestFailedException)
        {
            // Only a leaked queue in a throw-away emulator.
        }
        catch (AggregateException)
        {
            // The emulator is gone: nothing to clean.
        }
    }
}

/// <summary>Development mode (no authentication) with governance on; demo tenant "demo".</summary>
public sealed class GovernanceServer : ArbiterServerFixture
{
    public string ReviewQueue { get; } = GovernanceStorage.NewQueueName();

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        GovernanceStorage.Apply(settings, ReviewQueue);
        return settings;
    }

    protected override void Disposed() => GovernanceStorage.Delete(ReviewQueue);
}

/// <summary>Entra ID mode with governance on, demo data in <see cref="TestTokens.TenantA"/>.</summary>
public sealed class GovernanceEntraIdServer : EntraIdServer
{
    public string ReviewQueue { get; } = GovernanceStorage.NewQueueName();

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        GovernanceStorage.Apply(settings, ReviewQueue);
        return settings;
    }

    protected override void Disposed()
    {
        base.Disposed();
        GovernanceStorage.Delete(ReviewQueue);
    }
}
