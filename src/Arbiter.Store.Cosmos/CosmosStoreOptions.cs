using System.Net;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>How <see cref="CosmosDocumentStore"/> implements <see cref="IChangeFeed"/>.</summary>
public enum CosmosChangeFeedMode
{
    /// <summary>The SDK change feed (pull model); for a loopback endpoint, probe once and fall back to polling when it has none.</summary>
    Auto,

    /// <summary>Always the SDK change feed (pull model, latest version, per-tenant feed range).</summary>
    ChangeFeed,

    /// <summary>Always the polling fallback: queries on <c>_ts</c> with an overlap window, deduplicated by ETag.</summary>
    Polling,
}

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

    /// <summary><c>Cosmos:RequestTimeout</c>: per request; past it the store reports itself unavailable.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsLoopback => Uri.TryCreate(AccountEndpoint, UriKind.Absolute, out var uri) && IsLoopbackHost(uri);

    internal static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}

internal sealed class CosmosStoreOptionsValidator : IValidateOptions<CosmosStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, CosmosStoreOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.AccountEndpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Cosmos:AccountEndpoint must be an absolute https URL of the account.");
        }
        else
        {
            if (!string.IsNullOrEmpty(options.Key) && !options.IsLoopback)
            {
                failures.Add("Cosmos:Key is only allowed for a loopback endpoint (local test server or emulator); use the managed identity for any other endpoint.");
            }

            if (endpoint.Scheme == Uri.UriSchemeHttp && !options.IsLoopback)
            {
                failures.Add("Cosmos:AccountEndpoint must use https.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            failures.Add("Cosmos:Database is required.");
        }

        string[] containers = [options.PoliciesContainer, options.DirectoryContainer, options.GovernanceContainer, options.DecisionsContainer];
        if (containers.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Cosmos:PoliciesContainer, DirectoryContainer, GovernanceContainer and DecisionsContainer must not be empty.");
        }
        else if (containers.Distinct(StringComparer.Ordinal).Count() != containers.Length)
        {
            failures.Add("Cosmos container names must be distinct.");
        }

        if (options.PollingOverlap < TimeSpan.FromSeconds(1) || options.PollingOverlap > TimeSpan.FromMinutes(10))
        {
            failures.Add("Cosmos:PollingOverlap must be between 1 second and 10 minutes.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add("Cosmos:RequestTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
