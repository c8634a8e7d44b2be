using System.Security.Claims;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Api.Security;

/// <summary>
/// Authenticates a request's bearer token (issuer, audience, signature from the OIDC metadata, lifetime) and checks
/// an app role. Host-agnostic, so the Functions app and the self-hosted server share it. Never logs the token.
/// </summary>
public sealed partial class CallerAuthenticator(
    IOptions<AuthOptions> options,
    BaseConfigurationManager metadata,
    ILogger<CallerAuthenticator> logger)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The caller if authenticated and holding <paramref name="requiredRole"/>; otherwise a 401/403 problem.</summary>
    public async Task<(Caller? Caller, IResult? Error)> AuthenticateAsync(HttpContext context, string requiredRole, CancellationToken cancellationToken)
    {
        var auth = options.Value;
        if (auth.Mode == AuthMode.Development)
            return (new Caller(auth.DevelopmentTenant!, "development", new HashSet<string>([auth.EvaluateRole, auth.AdminRole], StringComparer.Ordinal)), null);

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, Problems.Unauthorized("a bearer token from Microsoft Entra ID is required"));
        }

        var parameters = new TokenValidationParameters
        {
            ConfigurationManager = metadata,
            ValidAudience = auth.Audience,
            ValidateAudience = true,
            ValidateIssuer = true,
            IssuerValidatorUsingConfiguration = (issuer, token, _, configuration) => ValidateIssuer(issuer, token, configuration, auth.TenantClaim),
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        };
        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(header[7..].Trim(), parameters);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogValidationError(logger, e.GetType().Name);
            return (null, Problems.Unauthorized("the bearer token could not be validated"));
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (!result.IsValid)
        {
            var reason = result.Exception?.GetType().Name ?? "invalid";
            LogRejected(logger, reason);
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return (null, Problems.Unauthorized("the bearer token is invalid or expired"));
        }

        var identity = result.ClaimsIdentity;
        var tenant = identity.FindFirst(auth.TenantClaim)?.Value;
        if (string.IsNullOrEmpty(tenant))
            return (null, Problems.Unauthorized($"the token carries no '{auth.TenantClaim}' claim naming the tenant"));
        var roles = identity.FindAll("roles").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var id = identity.FindFirst("oid")?.Value ?? identity.FindFirst("azp")?.Value ?? identity.FindFirst("appid")?.Value ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "unknown";
        if (!roles.Contains(requiredRole))
            return (null, Problems.Forbidden($"the caller lacks the app role '{requiredRole}'"));
        return (new Caller(tenant, id, roles), null);
    }

    /// <summary>
    /// The token's issuer against the metadata's. Multi-tenant metadata (Entra's <c>/organizations</c> or <c>/common</c>)
    /// names its issuer as a template, <c>https://login.microsoftonline.com/{tenantid}/v2.0</c>: the token's issuer must
    /// then be that template with the token's own tenant claim in it, so a token can only speak for the tenant that
    /// issued it and one tenant's token is never read as another's. Single-tenant metadata names one issuer, which the
    /// token must carry exactly.
    /// </summary>
    internal static string ValidateIssuer(string issuer, SecurityToken token, BaseConfiguration? configuration, string tenantClaim)
    {
        var expected = configuration?.Issuer;
        if (string.IsNullOrEmpty(expected))
            throw new SecurityTokenInvalidIssuerException("the metadata names no issuer");
        const string Placeholder = "{tenantid}";
        if (expected.Contains(Placeholder, StringComparison.OrdinalIgnoreCase))
        {
            var tenant = token is JsonWebToken jwt && jwt.TryGetPayloadValue<string>(tenantClaim, out var t) ? t : null;
            if (string.IsNullOrEmpty(tenant) || tenant.Contains('/', StringComparison.Ordinal))
                throw new SecurityTokenInvalidIssuerException($"a multi-tenant issuer needs the token's '{tenantClaim}' claim");
            expected = expected.Replace(Placeholder, tenant, StringComparison.OrdinalIgnoreCase);
        }
        if (!string.Equals(issuer, expected, StringComparison.Ordinal))
            throw new SecurityTokenInvalidIssuerException("the token's issuer is not the expected one");
        return issuer;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Bearer token rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Bearer token validation failed with {ErrorType}")]
    private static partial void LogValidationError(ILogger logger, string errorType);
}
