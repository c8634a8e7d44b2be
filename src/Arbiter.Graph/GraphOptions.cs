namespace Arbiter.Graph;

/// <summary>
/// Microsoft Graph settings for the Entra ID sync (configuration section <c>Graph</c>).
/// Secure by default: no secret means managed identity / <c>DefaultAzureCredential</c>; only https Graph endpoints
/// are accepted, except loopback addresses (the test simulator).
/// </summary>
public sealed class GraphOptions
{
    public const string SectionName = "Graph";

    /// <summary>Graph root including the version segment. Tests point this at the simulator.</summary>
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";

    /// <summary>Entra tenant (directory) id used for client-credential sign-in; optional with managed identity.</summary>
    public string? TenantId { get; set; }

    /// <summary>App registration (client credentials) or user-assigned managed identity client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>Client secret for local development; leave empty in Azure (managed identity is used).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Items per delta page requested through <c>Prefer: odata.maxpagesize</c> (Graph caps at 999).</summary>
    public int PageSize { get; set; } = 999;

    /// <summary><c>$top</c> for listing agent identities (Graph documents 100).</summary>
    public int AgentPageSize { get; set; } = 100;

    /// <summary>Retries of <see cref="GraphThrottlingHandler"/> for 429/503/504 (it honours <c>Retry-After</c>); 0..10.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First delay of <see cref="GraphThrottlingHandler"/> when a 429/503/504 carries no <c>Retry-After</c>; doubles per retry.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Attempts of the outer retry for failures the HTTP pipeline does not retry (dropped connections, timeouts, 5xx after its retries).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First backoff of the outer retry; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one Graph HTTP request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Parallel <c>/owners</c> look-ups while syncing agent identities.</summary>
    public int OwnerLookupConcurrency { get; set; } = 4;

    /// <summary>Whether agent identities (Entra Agent ID) are synced.</summary>
    public bool SyncAgents { get; set; } = true;

    /// <summary>
    /// Arbiter tenants to sync, keyed by Arbiter tenant id. Values override the top-level settings per tenant
    /// (another Entra directory, app registration or Graph endpoint). Empty: the integrator passes tenant ids itself.
    /// </summary>
    public Dictionary<string, GraphTenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The effective settings for one Arbiter tenant.</summary>
    public GraphTenantOptions For(string tenantId)
    {
        Tenants.TryGetValue(tenantId, out var t);
        return new GraphTenantOptions
        {
            BaseUrl = string.IsNullOrWhiteSpace(t?.BaseUrl) ? BaseUrl : t.BaseUrl,
            TenantId = string.IsNullOrWhiteSpace(t?.TenantId) ? TenantId : t.TenantId,
            ClientId = string.IsNullOrWhiteSpace(t?.ClientId) ? ClientId : t.ClientId,
            ClientSecret = string.IsNullOrWhiteSpace(t?.ClientSecret) ? ClientSecret : t.ClientSecret,
        };
    }
}
