using Microsoft.Extensions.Options;

namespace Arbiter.Graph;

/// <summary>Fails the cold start on a bad <c>Graph</c> section, naming the setting.</summary>
public sealed class GraphOptionsValidator : IValidateOptions<GraphOptions>
{
    public ValidateOptionsResult Validate(string? name, GraphOptions options)
    {
        var errors = new List<string>();
        CheckUrl(errors, "Graph:BaseUrl", options.BaseUrl);
        CheckCredentials(errors, "Graph", options.TenantId, options.ClientId, options.ClientSecret);
        foreach (var (tenant, t) in options.Tenants)
        {
            if (!string.IsNullOrWhiteSpace(t.BaseUrl))
            {
                CheckUrl(errors, $"Graph:Tenants:{tenant}:BaseUrl", t.BaseUrl);
            }

            var effective = options.For(tenant);
            CheckCredentials(errors, $"Graph:Tenants:{tenant}", effective.TenantId, effective.ClientId, effective.ClientSecret);
        }

        if (options.PageSize is < 1 or > 999)
        {
            errors.Add("Graph:PageSize must be between 1 and 999.");
        }

        if (options.AgentPageSize is < 1 or > 999)
        {
            errors.Add("Graph:AgentPageSize must be between 1 and 999.");
        }

        if (options.MaxRetries is < 0 or > 10)
        {
            errors.Add("Graph:MaxRetries must be between 0 and 10.");
        }

        if (options.MaxAttempts is < 1 or > 20)
        {
            errors.Add("Graph:MaxAttempts must be between 1 and 20.");
        }

        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromSeconds(180))
        {
            errors.Add("Graph:RetryDelay must be between 0 and 180 seconds.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > TimeSpan.FromMinutes(5))
        {
            errors.Add("Graph:RetryBaseDelay must be between 0 and 5 minutes.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("Graph:RequestTimeout must be positive.");
        }

        if (options.OwnerLookupConcurrency is < 1 or > 32)
        {
            errors.Add("Graph:OwnerLookupConcurrency must be between 1 and 32.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckUrl(List<string> errors, string key, string? value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{key} must be an absolute http(s) URL.");
            return;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            errors.Add($"{key} must use https (plain http is accepted only for loopback test servers).");
        }
    }

    private static void CheckCredentials(List<string> errors, string prefix, string? tenantId, string? clientId, string? clientSecret)
    {
        if (!string.IsNullOrWhiteSpace(clientSecret) && (string.IsNullOrWhiteSpace(tenantId) || string.IsNullOrWhiteSpace(clientId)))
        {
            errors.Add($"{prefix}: ClientSecret requires TenantId and ClientId.");
        }
    }
}
