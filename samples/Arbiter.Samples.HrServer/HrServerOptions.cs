using System.ComponentModel.DataAnnotations;

namespace Arbiter.Samples.HrServer;

/// <summary>The sample server's own settings (section <c>HrServer</c>): who issues the tokens it accepts.</summary>
public sealed class HrServerOptions : IValidatableObject
{
    public const string Section = "HrServer";

    /// <summary>The token issuer (Entra: https://login.microsoftonline.com/{tenant}/v2.0; the demo: the development issuer on loopback).</summary>
    [Required]
    public Uri? Authority { get; set; }

    /// <summary>The audience tokens must carry (this server's Application ID URI).</summary>
    [Required]
    public string Audience { get; set; } = "api://arbiter-samples-hr";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Authority is not null && Authority.Scheme != Uri.UriSchemeHttps && !(Authority.Scheme == Uri.UriSchemeHttp && Authority.IsLoopback))
            yield return new ValidationResult("HrServer:Authority must be https, or http on loopback (the development issuer)", [nameof(Authority)]);
    }
}
