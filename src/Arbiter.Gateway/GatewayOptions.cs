using System.ComponentModel.DataAnnotations;

namespace Arbiter.Gateway;

/// <summary>
/// The gateway (section <c>Gateway</c>): who issues the callers' tokens and for which audience, and the MCP servers
/// it fronts, each at <c>/mcp/{name}</c>. Secure by default: every upstream's lists are filtered, calls decided,
/// unknown methods denied, and row filters refused unless the upstream declares it applies them.
/// </summary>
public sealed class GatewayOptions : IValidatableObject
{
    public const string Section = "Gateway";

    /// <summary>The issuer of callers' tokens (Entra: https://login.microsoftonline.com/{tenant}/v2.0).</summary>
    [Required]
    public Uri? Authority { get; set; }

    /// <summary>The audience callers' tokens must carry: the gateway's own Application ID URI, never an upstream's.</summary>
    [Required]
    public string Audience { get; set; } = "";

    /// <summary>The largest JSON-RPC message a caller may send (bytes); a larger one is refused with 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest upstream answer the gateway reads whole to filter or redact it (bytes); larger is withheld.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The MCP servers behind the gateway, by the name in the route (<c>/mcp/{name}</c>).</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; } = new(StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Authority is not null && Authority.Scheme != Uri.UriSchemeHttps && !(Authority.Scheme == Uri.UriSchemeHttp && Authority.IsLoopback))
            yield return new ValidationResult("Gateway:Authority must be https, or http on loopback (the development issuer)", [nameof(Authority)]);
        if (Upstreams.Count == 0)
            yield return new ValidationResult("Gateway:Upstreams must name at least one MCP server", [nameof(Upstreams)]);
        foreach (var (name, upstream) in Upstreams)
        {
            if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                yield return new ValidationResult($"Gateway:Upstreams:{name}: a name is 1-64 letters, digits, '-' or '_' (it is a path segment)", [nameof(Upstreams)]);
            foreach (var problem in upstream.Validate(name))
                yield return problem;
        }
    }
}
