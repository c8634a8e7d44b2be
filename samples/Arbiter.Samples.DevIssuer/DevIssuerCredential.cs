using Azure.Core;

namespace Arbiter.Samples.DevIssuer;

/// <summary>
/// A <see cref="TokenCredential"/> over the <see cref="DevIssuer"/>, standing in for managed identity on a developer
/// machine: a scope <c>api://x/.default</c> yields an app-only token for audience <c>api://x</c> with <c>roles</c>.
/// </summary>
public sealed class DevIssuerCredential(DevIssuer issuer, string clientId, IReadOnlyList<string> roles) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(issuer.MintService(clientId, Audience(requestContext), roles), DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    private static string Audience(TokenRequestContext context)
    {
        var scope = context.Scopes.Single();
        return scope.EndsWith("/.default", StringComparison.Ordinal) ? scope[..^"/.default".Length] : scope;
    }
}
