using System.ComponentModel.DataAnnotations;

namespace Arbiter.Api.Security;

public enum AuthMode
{
    /// <summary>Microsoft Entra ID bearer tokens (the default; the only mode allowed in Azure).</summary>
    EntraId,

    /// <summary>No authentication: every caller is an admin of <see cref="AuthOptions.DevelopmentTenant"/>. Loopback only.</summary>
    Development,
}

/// <summary>How callers authenticate (section <c>Auth</c>). Secure by default: Entra ID, roles required.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.EntraId;

    /// <summary>Token issuer authority, e.g. https://login.microsoftonline.com/{tenant-id}/v2.0.</summary>
    public string? Authority { get; set; }

    /// <summary>OIDC metadata; defaults to {Authority}/.well-known/openid-configuration.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>The audience tokens must carry (the app's Application ID URI or client id).</summary>
    public string? Audience { get; set; }

    /// <summary>App role that lets a caller evaluate and search.</summary>
    [Required]
    public string EvaluateRole { get; set; } = "Decisions.Evaluate";

    /// <summary>App role that guards the admin API.</summary>
    [Required]
    public string AdminRole { get; set; } = "Arbiter.Admin";

    /// <summary>The claim naming the caller's tenant (Entra: tid). The tenant never comes from the body.</summary>
    [Required]
    public string TenantClaim { get; set; } = "tid";

    /// <summary>The tenant every caller belongs to in <see cref="AuthMode.Development"/>.</summary>
    public string? DevelopmentTenant { get; set; } = "demo";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode == AuthMode.EntraId)
        {
            if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && !authority.IsLoopback))
                yield return new ValidationResult("Auth:Authority must be an https URL (e.g. https://login.microsoftonline.com/<tenant>/v2.0)", [nameof(Authority)]);
            if (string.IsNullOrWhiteSpace(Audience))
                yield return new ValidationResult("Auth:Audience is required in EntraId mode", [nameof(Audience)]);
        }
        else if (string.IsNullOrWhiteSpace(DevelopmentTenant))
        {
            yield return new ValidationResult("Auth:DevelopmentTenant is required in Development mode", [nameof(DevelopmentTenant)]);
        }
    }
}
