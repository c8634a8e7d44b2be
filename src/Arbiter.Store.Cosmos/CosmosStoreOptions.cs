using System.Net;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// The Cosmos DB store (configuration section <c>Cosmos</c>). Identity-based by default: <c>Cosmos:AccountEndpoint</c> and the
/// shared <c>TokenCredential</c> (<c>DefaultAzureCredential</c>). A key (<c>Cosmos:Key</c>) is accepted only for a loopback
/// endpoint (local test servers and the emulator).
/// </summary>
public sealed class CosmosStoreOptions
{
    public const string SectionName = "Cosmos";

    /// <summary><c>Cosmos:AccountEndpoint</c>, e.g. <c>https://myaccount.documents.azure.com:443/</c>.</summary>
    public string AccountEndpoint { get; set; } = "";

    /// <summary><c>Cosmos:Key</c>: only for loopback endpoints; start-up fails when set for any other endpoint.</summary>
    public string? Key { get; set; }

    /// <summary><c>Cosmos:Database</c>.</summary>
    public string Database { get; set; } = "arbiter";

    /// <summary><c>Cosmos:PoliciesContainer</c>: <c>policy</c>, <c>policyVersion</c>.</summary>
    public string PoliciesContainer { get; set; } = "policies";

    /// <summary><c>Cosmos:DirectoryContainer</c>: users, groups, agents, MCP servers, tools, data resources.</summary>
    public string DirectoryContainer { get; set; } = "directory";

    /// <summary><c>Cosmos:GovernanceContainer</c>: sync state, baselines, findings, reviews, audit (and any other kind).</summary>
    public string GovernanceContainer { get; set; } = "governance";

    /// <summary><c>Cosmos:DecisionsContainer</c>: the decision log (written by <c>CosmosDecisionLogSink</c>, partition key <c>/pk</c>; created with the others).</summary>
    public string DecisionsContainer { get; set; } = "decisions";

    /// <summary><c>Cosmos:CreateIfNotExists</c>: create the database and containers at first use. Off in Azure (Bicep owns them).</summary>
    public bool CreateIfNotExists { get; set; }

    /// <summary><c>Cosmos:ChangeFeedMode</c>: <c>Auto</c> (default), <c>ChangeFeed</c> or <c>Polling</c>.</summary>
    public CosmosChangeFeedMode ChangeFeedMode { get; set; } = CosmosChangeFeedMode.Auto;

    /// <summary><c>Cosmos:PollingOverlap</c>: how far back each poll re-reads (covers writes committed while the previous poll ran).</summary>
    public TimeSpan PollingOverlap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>Cosmos:ReadMode</c>: how one document is read. <c>Query</c> (default): a single-partition query on the item id,
    /// which every endpoint serves alike (the local test server answers a point read of a missing item with 500, so a
    /// point-read default would leave the tests on another path than production); single reads are rare next to the
    /// batched ones (<c>GetManyAsync</c> and lists are queries in any mode), so the extra request units are small.
    /// <c>PointRead</c>: <c>ReadItem</c>, about 1 RU instead of about 3, for an account that wants it.
    /// </summary>
    public CosmosReadMode ReadMode { get; set; } = CosmosReadMode.Query;

    /// <summary>
    /// <c>Cosmos:MaxParallelism</c>: requests in flight for one batch (the chunks of a <c>GetManyAsync</c>, the
    /// documents of a <c>WriteManyAsync</c>, the upserts and partition queries of the decision log); 1..64.
    /// </summary>
    public int MaxParallelism { get; set; } = 16;

    /// <summary><c>Cosmos:RequestTimeout</c>: per request; past it the store reports itself unavailable.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsLoopback => Uri.TryCreate(AccountEndpoint, UriKind.Absolute, out var uri) && IsLoopbackHost(uri);

    internal static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
