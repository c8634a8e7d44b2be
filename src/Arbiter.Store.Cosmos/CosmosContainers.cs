using Arbiter.Store.Cosmos.DecisionLog;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// The account's containers as the store sees them: one per kind group (policies, directory, governance), partition key
/// <c>/tenantId</c>, plus the decision log's. With <see cref="CosmosStoreOptions.CreateIfNotExists"/> on, the database
/// and all four containers are created once, at first use (in Azure Bicep owns them and the option is off).
/// </summary>
public sealed class CosmosContainers
{
    private readonly CosmosClient _client;
    private readonly CosmosStoreOptions _options;
    private readonly ILogger<CosmosContainers> _logger;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _ready;

    public CosmosContainers(CosmosClient client, IOptions<CosmosStoreOptions> options, ILogger<CosmosContainers> logger)
    {
        _client = client;
        _options = options.Value;
        _logger = logger;
        Policies = client.GetContainer(_options.Database, _options.PoliciesContainer);
        Directory = client.GetContainer(_options.Database, _options.DirectoryContainer);
        Governance = client.GetContainer(_options.Database, _options.GovernanceContainer);
        Decisions = client.GetContainer(_options.Database, _options.DecisionsContainer);
        Documents = [Policies, Directory, Governance];
    }

    /// <summary><c>policy</c>, <c>policyVersion</c>.</summary>
    public Container Policies { get; }

    /// <summary>Users, groups, agents, MCP servers, tools, data resources.</summary>
    public Container Directory { get; }

    /// <summary>Sync state, baselines, findings, reviews, audit, and any kind not listed in <see cref="DocumentKinds"/>.</summary>
    public Container Governance { get; }

    /// <summary>The decision log (partition key <see cref="CosmosDecisionLogSink.PartitionKeyPath"/>).</summary>
    public Container Decisions { get; }

    /// <summary>The three document containers, in the order the change feed reads them.</summary>
    public IReadOnlyList<Container> Documents { get; }

    /// <summary>The container a kind lives in: policies, directory, or governance (which also takes kinds not listed in <see cref="DocumentKinds"/>).</summary>
    public Container For(string kind) =>
        DocumentKinds.Policies.Contains(kind) ? Policies
        : DocumentKinds.Directory.Contains(kind) ? Directory
        : Governance;

    /// <summary>Creates the database and the containers when <see cref="CosmosStoreOptions.CreateIfNotExists"/> is on; once.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _createLock.WaitAsync(cancellationToken);
        try
        {
            // Read again under the lock: another caller may have created the containers while this one waited.
            if (!_ready)
            {
                await CreateAsync(cancellationToken);
                _ready = true;
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateIfNotExists)
        {
            return;
        }

        var database = (await _client.CreateDatabaseIfNotExistsAsync(_options.Database, cancellationToken: cancellationToken)).Database;
        foreach (var name in new[] { _options.PoliciesContainer, _options.DirectoryContainer, _options.GovernanceContainer })
        {
            await database.CreateContainerIfNotExistsAsync(new ContainerProperties(name, "/tenantId"), cancellationToken: cancellationToken);
        }

        // The decision log spreads each tenant over hourly buckets (see CosmosDecisionLogSink); TTL on, per item; only the queried paths indexed.
        await database.CreateContainerIfNotExistsAsync(
            new ContainerProperties(_options.DecisionsContainer, CosmosDecisionLogSink.PartitionKeyPath) { DefaultTimeToLive = -1, IndexingPolicy = CosmosDecisionLogSink.IndexingPolicy() },
            cancellationToken: cancellationToken);

        CosmosLog.ContainersReady(_logger, _options.Database);
    }
}
