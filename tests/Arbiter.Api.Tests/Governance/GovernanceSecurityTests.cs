using System.Net;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Api.Governance;

namespace Arbiter.Api.Tests.Governance;

/// <summary>The governance routes in Entra ID mode: a token with the admin app role is required on every one.</summary>
public sealed class GovernanceSecurityTests(GovernanceEntraIdServer server) : IClassFixture<GovernanceEntraIdServer>
{
    private readonly HttpClient _client = server.Client;
    private readonly TestTokens _tokens = server.Tokens;

    /// <summary>Every governance route the handlers declare, with its <c>{id}</c> filled in.</summary>
    public static TheoryData<string, string> Routes()
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, route) in GovernanceHandlers.Routes)
            data.Add(method, "/" + route.Replace("{id}", route.Contains("/agents/", StringComparison.Ordinal) ? "hr-assistant" : "t-1", StringComparison.Ordinal));
        return data;
    }

    [Fact]
    public void Routes_AllNine() => Assert.Equal(9, Routes().Count);

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task GovernanceRoute_NoToken_401WithWwwAuthenticate(string method, string path)
    {
        var reply = await _client.SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.StartsWith("Bearer", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task GovernanceRoute_EvaluateRoleOnly_403(string method, string path)
    {
        var token = _tokens.Mint(roles: [TestTokens.EvaluateRole]);

        var reply = await _client.SendAsync(new HttpMethod(method), path, bearer: token);

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains(TestTokens.AdminRole, reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminToken_DriftRunAndFindings_CallersTenant()
    {
        var token = _tokens.Mint(roles: [TestTokens.AdminRole], oid: "governance-admin");

        var run = await _client.SendAsync(HttpMethod.Post, GovernanceApi.DriftRun + "?full=true", bearer: token);
        var other = await _client.SendAsync(HttpMethod.Post, GovernanceApi.DriftRun + "?full=true",
            bearer: _tokens.Mint(tenant: TestTokens.TenantB, roles: [TestTokens.AdminRole]));
        var entitlements = await _client.FetchAsync(GovernanceApi.Entitlements("hr-assistant"), bearer: token);

        Assert.True(run.Status == HttpStatusCode.OK, run.Text);
        Assert.Equal(TestTokens.TenantA, run.Json.Text("tenantId"));
        Assert.Contains("hr-assistant", run.Json.GetProperty("agentsRecomputed").EnumerateArray().Select(a => a.GetString()));
        Assert.DoesNotContain("hr-assistant", other.Status == HttpStatusCode.OK
            ? other.Json.GetProperty("agentsRecomputed").EnumerateArray().Select(a => a.GetString()) : []);
        Assert.Equal(HttpStatusCode.OK, entitlements.Status);
        Assert.Equal("hr-assistant", entitlements.Json.GetProperty("baseline").Text("agentId"));
    }
}
