using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arbiter.Api;

/// <summary>
/// The advertised PDP identifier (<c>policy_decision_point</c>) is https outside Development: AuthZEN PEPs check that
/// the metadata names the PDP they called, and a plain-http identifier would invite them onto an unprotected channel.
/// A loopback address is the one exception (a sidecar PDP on the same machine).
/// </summary>
internal sealed class ArbiterOptionsValidator(IHostEnvironment environment) : IValidateOptions<ArbiterOptions>
{
    public ValidateOptionsResult Validate(string? name, ArbiterOptions options)
    {
        if (environment.IsDevelopment() || !Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url))
            return ValidateOptionsResult.Success;
        return url.Scheme == Uri.UriSchemeHttps || url.IsLoopback
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Arbiter:PublicBaseUrl must be an https URL outside Development (it is '{options.PublicBaseUrl}')");
    }
}
