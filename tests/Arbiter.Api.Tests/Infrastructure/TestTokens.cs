using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// A local stand-in for Entra ID: an issuer, an RSA signing key published through static OIDC metadata, and a
/// <see cref="JsonWebTokenHandler"/> that mints access tokens shaped like Entra's (iss, aud, tid, oid, roles, nbf, exp).
/// </summary>
public sealed class TestTokens : IDisposable
{
    public const string Issuer = "https://login.arbiter.test/11111111-1111-1111-1111-111111111111/v2.0";
    public const string Audience = "api://arbiter-tests";
    public const string TenantA = "tenant-a";
    public const string TenantB = "tenant-b";
    public const string EvaluateRole = "Decisions.Evaluate";
    public const string AdminRole = "Arbiter.Admin";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RSA _otherRsa = RSA.Create(2048);
    private readonly JsonWebTokenHandler _handler = new();

    public TestTokens()
    {
        SigningKey = new RsaSecurityKey(_rsa) { KeyId = "arbiter-test-key" };
        var metadata = new OpenIdConnectConfiguration { Issuer = Issuer };
        metadata.SigningKeys.Add(SigningKey);
        ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(metadata);
    }

    public RsaSecurityKey SigningKey { get; }

    public StaticConfigurationManager<OpenIdConnectConfiguration> ConfigurationManager { get; }

    /// <summary>A token as Entra ID would issue it to a calling app; every part can be overridden to make it wrong.</summary>
    public string Mint(
        string tenant = TenantA,
        string[]? roles = null,
        string issuer = Issuer,
        string audience = Audience,
        DateTime? notBefore = null,
        DateTime? expires = null,
        bool signWithOtherKey = false,
        string oid = "caller-app")
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["tid"] = tenant,
            ["oid"] = oid,
            ["roles"] = roles ?? [EvaluateRole],
        };
        var key = signWithOtherKey ? new RsaSecurityKey(_otherRsa) { KeyId = SigningKey.KeyId } : SigningKey;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(30),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose()
    {
        _rsa.Dispose();
        _otherRsa.Dispose();
    }
}
