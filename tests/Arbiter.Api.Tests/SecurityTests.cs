using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>
/// Entra ID mode: bearer tokens minted by <see cref="TestTokens"/> against static OIDC metadata. Authentication,
/// the evaluate role, and tenant isolation (the tenant comes from the token's <c>tid</c>, never the body).
/// </summary>
public sealed class SecurityTests(EntraIdServer server) : IClassFixture<EntraIdServer>
{
    private readonly HttpClient _client = server.Client;
    private readonly TestTokens _tokens = server.Tokens;

    private static readonly Dictionary<string, object?> AlicePermit = Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant");

    public static TheoryData<string> ProtectedEndpoints => [Pdp.Evaluation, Pdp.Evaluations, Pdp.SearchSubject, Pdp.SearchResource, Pdp.SearchAction];

    [Fact]
    public async Task Evaluation_ValidToken_Permits()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint());

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task ProtectedEndpoint_NoToken_401WithWwwAuthenticate(string endpoint)
    {
        var reply = await _client.PostAsync(endpoint, AlicePermit);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.StartsWith("Bearer", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Theory]
    [InlineData("Basic YWxpY2U6c2VjcmV0")]
    [InlineData("Bearer")]
    [InlineData("Bearer not-a-jwt")]
    [InlineData("Bearer a.b.c")]
    public async Task Evaluation_MalformedAuthorization_401(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Pdp.Evaluation)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(AlicePermit), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Evaluation_ExpiredToken_401InvalidToken()
    {
        var now = DateTime.UtcNow;
        var token = _tokens.Mint(notBefore: now.AddHours(-2), expires: now.AddHours(-1));

        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: token);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.Contains("invalid_token", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluation_TokenNotYetValid_401()
    {
        var now = DateTime.UtcNow;
        var token = _tokens.Mint(notBefore: now.AddHours(1), expires: now.AddHours(2));

        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: token);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_WrongAudience_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(audience: "api://someone-else"));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_WrongIssuer_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit,
            bearer: _tokens.Mint(issuer: "https://login.microsoftonline.com/22222222-2222-2222-2222-222222222222/v2.0"));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_SignedWithAnotherKey_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(signWithOtherKey: true));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_TamperedPayload_401()
    {
        var parts = _tokens.Mint(tenant: TestTokens.TenantB).Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]))
            .Replace(TestTokens.TenantB, TestTokens.TenantA, StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_UnsignedToken_401()
    {
        var parts = _tokens.Mint().Split('.');
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");

        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: $"{header}.{parts[1]}.");

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task ProtectedEndpoint_TokenWithoutEvaluateRole_403(string endpoint)
    {
        var reply = await _client.PostAsync(endpoint, AlicePermit, bearer: _tokens.Mint(roles: ["Something.Else"]));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task Evaluation_AdminRoleOnly_403()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(roles: [TestTokens.AdminRole]));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
    }

    [Fact]
    public async Task Evaluation_RoleNameDifferentCase_403()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(roles: ["decisions.evaluate"]));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
    }

    [Fact]
    public async Task Evaluation_SeveralRolesIncludingEvaluate_Permits()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(roles: [TestTokens.AdminRole, TestTokens.EvaluateRole]));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task Evaluation_AuthFailure_CheckedBeforeBody()
    {
        // A caller without a token learns nothing about the body's validity.
        var reply = await _client.PostAsync(Pdp.Evaluation, "{not json", "text/plain");

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluation_OtherTenantToken_TenantAUsersUnknown()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(tenant: TestTokens.TenantB));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Decision());
        Assert.Contains("unknown", reply.Json.GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Evaluations_OtherTenantToken_EveryItemDenied()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, new
        {
            evaluations = new[]
            {
                Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
                Pdp.Request("bob", "agent.invoke", "agent", "general-assistant"),
            },
        }, bearer: _tokens.Mint(tenant: TestTokens.TenantB));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.All(reply.Json.GetProperty("evaluations").EnumerateArray(), e => Assert.False(e.GetProperty("decision").GetBoolean()));
    }

    [Theory]
    [InlineData("tenant")]
    [InlineData("tid")]
    [InlineData("tenant_id")]
    public async Task Evaluation_TenantMemberInBody_DoesNotChangeTenant(string member)
    {
        var body = new Dictionary<string, object?>(AlicePermit)
        {
            [member] = TestTokens.TenantA,
            ["context"] = new Dictionary<string, object?> { [member] = TestTokens.TenantA },
        };
        body["subject"] = new { type = "user", id = "alice", properties = new Dictionary<string, object?> { [member] = TestTokens.TenantA } };

        var fromB = await _client.PostAsync(Pdp.Evaluation, body, bearer: _tokens.Mint(tenant: TestTokens.TenantB));
        var fromA = await _client.PostAsync(Pdp.Evaluation, body, bearer: _tokens.Mint(tenant: TestTokens.TenantA));

        Assert.False(fromB.Decision());
        Assert.True(fromA.Decision());
    }

    [Fact]
    public async Task SearchResource_OtherTenantToken_NothingFound()
    {
        var search = new
        {
            subject = new { type = "user", id = "alice" },
            action = new { name = "tools/call" },
            resource = new { type = "tool" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
            tenant = TestTokens.TenantA,
        };

        var fromB = await _client.PostAsync(Pdp.SearchResource, search, bearer: _tokens.Mint(tenant: TestTokens.TenantB));
        var fromA = await _client.PostAsync(Pdp.SearchResource, search, bearer: _tokens.Mint(tenant: TestTokens.TenantA));

        Assert.Equal(HttpStatusCode.OK, fromB.Status);
        Assert.Equal(0, fromB.Json.GetProperty("results").GetArrayLength());
        Assert.Equal(0, fromB.Json.GetProperty("page").GetProperty("total").GetInt32());
        Assert.NotEqual(0, fromA.Json.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task SearchSubject_OtherTenantToken_NoUsers()
    {
        var search = new
        {
            subject = new { type = "user" },
            action = new { name = "agent.invoke" },
            resource = new { type = "agent", id = "general-assistant" },
        };

        var fromB = await _client.PostAsync(Pdp.SearchSubject, search, bearer: _tokens.Mint(tenant: TestTokens.TenantB));

        Assert.Equal(HttpStatusCode.OK, fromB.Status);
        Assert.Equal(0, fromB.Json.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task SearchAction_OtherTenantToken_NoActions()
    {
        var search = new
        {
            subject = new { type = "user", id = "alice" },
            resource = new { type = "tool", id = "hr-lookup" },
            context = new { agent = new { type = "agent", id = "hr-assistant" } },
        };

        var fromB = await _client.PostAsync(Pdp.SearchAction, search, bearer: _tokens.Mint(tenant: TestTokens.TenantB));

        Assert.Equal(HttpStatusCode.OK, fromB.Status);
        Assert.Equal(0, fromB.Json.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Evaluation_TokenWithoutTenantClaim_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, AlicePermit, bearer: _tokens.Mint(tenant: ""));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Configuration_NoToken_PublicMetadata200()
    {
        var reply = await _client.GetReplyAsync(Pdp.Configuration);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
    }
}
