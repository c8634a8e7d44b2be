using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary><c>GET /health</c>: 200 with each loaded tenant's snapshot version and age.</summary>
public sealed class HealthTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    [Fact]
    public async Task Health_SeededTenantLoaded_200WithVersionAndAge()
    {
        var reply = await server.Client.GetReplyAsync("/health");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        var tenant = Assert.Single(json.GetProperty("snapshots").EnumerateArray(), s => s.GetProperty("tenantId").GetString() == server.SeedTenant);
        Assert.Matches("^[0-9a-f]{16}$", tenant.GetProperty("version").GetString());
        var age = tenant.GetProperty("ageSeconds").GetDouble();
        Assert.InRange(age, 0, 30);
        Assert.False(tenant.GetProperty("stale").GetBoolean());
        Assert.Equal("ok", tenant.GetProperty("storeState").GetString());
    }

    [Fact]
    public async Task Health_RequestId_Echoed()
    {
        var reply = await server.Client.GetReplyAsync("/health", requestId: "health-1");

        Assert.Equal("health-1", reply.Header("X-Request-ID"));
    }
}
