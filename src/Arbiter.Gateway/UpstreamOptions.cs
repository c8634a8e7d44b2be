using System.ComponentModel.DataAnnotations;
using Arbiter.Mcp;

namespace Arbiter.Gateway;

/// <summary>One MCP server behind the gateway (section <c>Gateway:Upstreams:{name}</c>).</summary>
public sealed class UpstreamOptions
{
    /// <summary>The server's Streamable HTTP endpoint, e.g. https://hr.internal.example/mcp.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// The OAuth scope of the gateway's own token to this server (e.g. <c>api://hr-mcp/.default</c>), from the app's
    /// <c>TokenCredential</c> (managed identity in Azure). Empty: no token (a server on a private network that needs none).
    /// The caller's token is never forwarded: its audience is the gateway, and MCP forbids passing it through.
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>
    /// The server reads Arbiter's row filters from <c>params._meta["arbiter/rowFilters"]</c> and applies them. Off (the
    /// default): a permit that carries a row filter is a deny, since nobody would apply it.
    /// </summary>
    public bool AppliesRowFilters { get; set; }

    /// <summary>
    /// Record each tool's definition (name, description, input schema) in Arbiter the first time it is listed; a later
    /// change is a governance finding (<c>toolDefinitionChanged</c>) until a reviewer approves the new definition.
    /// </summary>
    public bool PinToolDefinitions { get; set; } = true;

    /// <summary>While a tool's definition is changed and not yet approved, list it to no one and deny its calls.</summary>
    public bool BlockChangedTools { get; set; } = true;

    /// <summary>The longest the upstream may stay silent on one request before the call fails (YARP's activity timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How Arbiter sees this server: its id (default: the upstream's name), tool servers, checkpoints, caller mapping.</summary>
    public ArbiterMcpOptions Arbiter { get; } = new();

    internal IEnumerable<ValidationResult> Validate(string name)
    {
        if (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https"))
            yield return new ValidationResult($"Gateway:Upstreams:{name}:Url must be an absolute http(s) URL", [nameof(Url)]);
        else if (Url.Scheme == "http" && !Url.IsLoopback && !string.IsNullOrEmpty(Scope))
            yield return new ValidationResult($"Gateway:Upstreams:{name}:Url must use https when a token is sent", [nameof(Url)]);
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(30))
            yield return new ValidationResult($"Gateway:Upstreams:{name}:Timeout must be positive and at most 30 minutes", [nameof(Timeout)]);
        var context = new ValidationContext(Arbiter);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Arbiter, context, results, validateAllProperties: true);
        foreach (var result in results)
            yield return new ValidationResult($"Gateway:Upstreams:{name}:Arbiter: {result.ErrorMessage}", [nameof(Arbiter)]);
    }
}
