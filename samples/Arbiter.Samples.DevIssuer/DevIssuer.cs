using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Samples.DevIssuer;

/// <summary>
/// A local development token issuer shaped like Microsoft Entra ID, for the samples, the demo and the tests: OIDC
/// metadata and a JWKS on loopback (never anything else), an RSA key made fresh at each start, and tokens for a user
/// through an agent (delegated: <c>oid</c> + <c>azp</c>) or for an agent alone (app-only: <c>idtyp: app</c>).
/// <c>POST /token</c> (form: <c>user</c>, <c>agent</c>, <c>audience</c>) mints one over HTTP for the console agent.
/// </summary>
public sealed class DevIssuer : IAsyncDisposable
{
    public const string DefaultAudience = "api://arbiter-samples-hr";
    public const string Tenant = "demo";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly JsonWebTokenHandler _handler = new();
    private WebApplication? _app;

    private DevIssuer() => Key = new RsaSecurityKey(_rsa) { KeyId = "arbiter-dev-" + Guid.NewGuid().ToString("n")[..8] };

    /// <summary>The issuer URL (<c>iss</c>), also the authority whose <c>/.well-known/openid-configuration</c> is served.</summary>
    public Uri Issuer { get; private set; } = null!;

    public RsaSecurityKey Key { get; }

    /// <summary>Starts on <paramref name="url"/> (loopback only; port 0 picks a free one).</summary>
    public static async Task<DevIssuer> StartAsync(Uri url)
    {
        if (!url.IsLoopback || url.Scheme != Uri.UriSchemeHttp)
            throw new ArgumentException("the development issuer listens on http loopback only", nameof(url));
        var issuer = new DevIssuer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, url.Port));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(issuer.Metadata().ToJsonString(), "application/json"));
        app.MapGet("/discovery/v2.0/keys", () => Results.Text(issuer.Jwks().ToJsonString(), "application/json"));
        app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var agent = form["agent"].ToString();
            var user = form["user"].ToString();
            if (agent.Length is 0 or > 128 || user.Length > 128)
                return Results.Problem(title: "'agent' is required; 'user' and 'agent' are at most 128 characters", statusCode: 400);
            var audience = form["audience"].ToString() is { Length: > 0 and <= 256 } a ? a : DefaultAudience;
            var token = user.Length == 0 ? issuer.MintAgentOnly(agent, audience) : issuer.MintDelegated(user, agent, audience);
            return Results.Text(new JsonObject { ["access_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = 3600 }.ToJsonString(), "application/json");
        });
        await app.StartAsync();
        issuer._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        issuer.Issuer = new Uri(address.TrimEnd('/'));
        return issuer;
    }

    /// <summary>A delegated token: <paramref name="user"/> (<c>oid</c>) through <paramref name="agent"/> (<c>azp</c>).</summary>
    public string MintDelegated(string user, string agent, string audience = DefaultAudience) =>
        Mint(audience, new Dictionary<string, object> { ["oid"] = user, ["sub"] = user, ["azp"] = agent, ["scp"] = "mcp.tools", ["idtyp"] = "user" });

    private static readonly string[] AgentRoles = ["mcp.tools"];

    /// <summary>An app-only token: <paramref name="agent"/> acting alone (<c>idtyp: app</c>).</summary>
    public string MintAgentOnly(string agent, string audience = DefaultAudience) =>
        Mint(audience, new Dictionary<string, object> { ["oid"] = agent, ["sub"] = agent, ["azp"] = agent, ["idtyp"] = "app", ["roles"] = AgentRoles });

    /// <summary>An app-only token for a calling service (e.g. an MCP server calling Arbiter) holding app <paramref name="roles"/>.</summary>
    public string MintService(string clientId, string audience, IReadOnlyList<string> roles) =>
        Mint(audience, new Dictionary<string, object> { ["oid"] = clientId, ["sub"] = clientId, ["azp"] = clientId, ["idtyp"] = "app", ["roles"] = roles.ToArray() });

    /// <summary>A token with exactly <paramref name="claims"/> (plus iss, aud, tid and lifetime), e.g. one naming no agent.</summary>
    public string Mint(string audience, IDictionary<string, object> claims)
    {
        var all = new Dictionary<string, object>(claims) { ["tid"] = Tenant };
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer.ToString().TrimEnd('/'),
            Audience = audience,
            Claims = all,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        });
    }

    private JsonObject Metadata()
    {
        var issuer = Issuer.ToString().TrimEnd('/');
        return new JsonObject
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = issuer + "/discovery/v2.0/keys",
            ["token_endpoint"] = issuer + "/token",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["response_types_supported"] = new JsonArray("token"),
            ["subject_types_supported"] = new JsonArray("public"),
        };
    }

    private JsonObject Jwks()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(Key);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = Key.KeyId,
                ["n"] = jwk.N,
                ["e"] = jwk.E,
            }),
        };
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app!.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _rsa.Dispose();
    }
}
