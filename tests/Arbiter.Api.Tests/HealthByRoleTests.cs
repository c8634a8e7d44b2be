using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>
/// <c>GET /health</c> in Entra ID mode: anyone learns healthy or degraded and nothing else; an admin of a tenant also
/// gets that tenant's snapshot, the decision log's backlog and losses, the Entra sync and the governance queue.
/// </summary>
public sealed class HealthByRoleTests(EntraIdServer server) : IClassFixture<EntraIdServer>
{
    [Fact]
    public async Task Health_Anonymous_StatusOnly()
    {
        var reply = await server.Client.GetReplyAsync("/health");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var member = Assert.Single(reply.Json.EnumerateObject());
        Assert.Equal("status", member.Name);
        Assert.Equal("healthy", member.Value.GetString());
    }

    [Fact]
    public async Task Health_EvaluateRoleOnly_StatusOnly()
    {
        var reply = await server.Client.SendAsync("/health", null, bearer: server.Tokens.Mint(roles: [TestTokens.EvaluateRole]), method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("status", Assert.Single(reply.Json.EnumerateObject()).Name);
        Assert.False(reply.Headers.Contains("WWW-Authenticate"));
    }

    [Fact]
    public async Task Health_InvalidToken_StatusOnlyNoChallenge()
    {
        var reply = await server.Client.SendAsync("/health", null, bearer: server.Tokens.Mint(roles: [TestTokens.AdminRole], signWithOtherKey: true), method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("status", Assert.Single(reply.Json.EnumerateObject()).Name);
    }

    [Fact]
    public async Task Health_Admin_OwnTenantSnapshotLogSyncAndGovernance()
    {
        var reply = await server.Client.SendAsync("/health", null, bearer: server.Tokens.Mint(tenant: TestTokens.TenantA, roles: [TestTokens.AdminRole]), method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Empty(json.GetProperty("reasons").EnumerateArray());
        var snapshot = Assert.Single(json.GetProperty("snapshots").EnumerateArray());
        Assert.Equal(TestTokens.TenantA, snapshot.GetProperty("tenantId").GetString());
        Assert.Matches("^[0-9a-f]{16}$", snapshot.GetProperty("version").GetString());
        Assert.Equal("ok", snapshot.GetProperty("storeState").GetString());
        Assert.Equal("healthy", json.GetProperty("decisionLog").GetString());
        var log = json.GetProperty("decisionLogStats");
        Assert.Equal(0, log.GetProperty("lost").GetInt64());
        Assert.False(log.GetProperty("losing").GetBoolean());
        Assert.True(log.GetProperty("backlog").GetInt32() >= 0);
        var sync = json.GetProperty("sync");
        Assert.False(sync.GetProperty("enabled").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, sync.GetProperty("lastSuccess").ValueKind);
        Assert.Equal("off", json.GetProperty("governance").GetString());
    }

    [Fact]
    public async Task Health_AdminOfAnotherTenant_DoesNotSeeThisTenant()
    {
        var reply = await server.Client.SendAsync("/health", null, bearer: server.Tokens.Mint(tenant: TestTokens.TenantB, roles: [TestTokens.AdminRole]), method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.DoesNotContain(reply.Json.GetProperty("snapshots").EnumerateArray(), s => s.GetProperty("tenantId").GetString() == TestTokens.TenantA);
    }
}
