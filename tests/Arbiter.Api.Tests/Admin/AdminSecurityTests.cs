using System.Net;
using System.Text.Json.Nodes;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;

namespace Arbiter.Api.Tests.Admin;

/// <summary>
/// The admin API in Entra ID mode: a token is required, the admin app role is required (the evaluate role is not
/// enough), and an admin only ever sees and changes their own tenant (from the token's <c>tid</c>).
/// </summary>
public sealed class AdminSecurityTests(EntraIdServer server) : IClassFixture<EntraIdServer>
{
    private const string SeededPolicy = "hr-may-use-hr-assistant";
    private readonly HttpClient _client = server.Client;
    private readonly TestTokens _tokens = server.Tokens;

    private string AdminOf(string tenant, string oid = "admin-app") => _tokens.Mint(tenant: tenant, roles: [TestTokens.AdminRole], oid: oid);

    /// <summary>Every admin route (method, path, body) including Entra sync run-now and status.</summary>
    public static TheoryData<string, string, string?> AdminRoutes => new()
    {
        { "POST", "/manage/v1/policies/validate", """{"id":"p1"}""" },
        { "GET", "/manage/v1/policies", null },
        { "POST", "/manage/v1/policies", """{"id":"p1"}""" },
        { "GET", "/manage/v1/policies/" + SeededPolicy, null },
        { "PUT", "/manage/v1/policies/" + SeededPolicy, """{"id":"hr-may-use-hr-assistant"}""" },
        { "DELETE", "/manage/v1/policies/" + SeededPolicy, null },
        { "GET", "/manage/v1/policies/" + SeededPolicy + "/versions", null },
        { "POST", "/manage/v1/policies/" + SeededPolicy + "/rollback?version=1", null },
        { "GET", "/manage/v1/directory/agents", null },
        { "GET", "/manage/v1/directory/agents/hr-assistant", null },
        { "PUT", "/manage/v1/directory/agents/hr-assistant", """{"enabled":false}""" },
        { "DELETE", "/manage/v1/directory/agents/hr-assistant", null },
        { "POST", "/manage/v1/agents/hr-assistant/suspend", null },
        { "POST", "/manage/v1/agents/hr-assistant/resume", null },
        { "POST", "/manage/v1/whatif", """{"evaluations":[]}""" },
        { "POST", "/manage/v1/replay", """{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"]}""" },
        { "POST", "/manage/v1/tenant/import", """{"format":"arbiter-tenant/1"}""" },
        { "GET", "/manage/v1/tenant/export", null },
        { "POST", "/manage/v1/sync/run", null },
        { "GET", "/manage/v1/sync/status", null },
    };

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task AdminRoute_NoToken_401WithWwwAuthenticate(string method, string path, string? body)
    {
        var reply = await _client.SendAsync(new HttpMethod(method), path, body, ifMatch: method is "PUT" or "DELETE" ? "*" : null);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.StartsWith("Bearer", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task AdminRoute_EvaluateRoleOnly_403(string method, string path, string? body)
    {
        var token = _tokens.Mint(roles: [TestTokens.EvaluateRole]);

        var reply = await _client.SendAsync(new HttpMethod(method), path, body, ifMatch: method is "PUT" or "DELETE" ? "*" : null, bearer: token);

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains(TestTokens.AdminRole, reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task AdminRoute_TokenSignedWithOtherKey_401(string method, string path, string? body)
    {
        var token = _tokens.Mint(roles: [TestTokens.AdminRole], signWithOtherKey: true);

        var reply = await _client.SendAsync(new HttpMethod(method), path, body, ifMatch: method is "PUT" or "DELETE" ? "*" : null, bearer: token);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    /// <summary>Authentication comes before anything else: even a route the server would refuse as unknown answers 401 first.</summary>
    [Theory]
    [InlineData("GET", "/manage/v1/directory/widgets")]
    [InlineData("GET", "/manage/v1/directory/widgets/w1")]
    [InlineData("PUT", "/manage/v1/directory/widgets/w1")]
    [InlineData("DELETE", "/manage/v1/directory/widgets/w1")]
    public async Task DirectoryRoute_UnknownCollectionNoToken_401(string method, string path)
    {
        var reply = await _client.SendAsync(new HttpMethod(method), path, method == "PUT" ? "{}" : null, ifMatch: method == "DELETE" ? "*" : null);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Suspend_EvaluateRoleOnly_403AndAgentStillServes()
    {
        var evaluator = _tokens.Mint(roles: [TestTokens.EvaluateRole]);

        var reply = await _client.SendAsync(HttpMethod.Post, "/manage/v1/agents/hr-assistant/suspend", bearer: evaluator);

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.True((await _client.InvokeAsync("alice", "hr-assistant", evaluator)).Decision());
    }

    [Fact]
    public async Task EvaluationRoute_AdminRoleOnly_403()
    {
        var reply = await _client.InvokeAsync("alice", "hr-assistant", AdminOf(TestTokens.TenantA));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
    }

    [Fact]
    public async Task GetPolicy_AdminOfOtherTenant_404()
    {
        var own = await _client.FetchAsync(AdminApi.Policy(SeededPolicy), AdminOf(TestTokens.TenantA));

        var other = await _client.FetchAsync(AdminApi.Policy(SeededPolicy), AdminOf(TestTokens.TenantB));

        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
    }

    [Fact]
    public async Task ListAndExport_AdminOfOtherTenant_SeeNoneOfTenantA()
    {
        var tenant = AdminApi.NewId("tenant");
        var admin = AdminOf(tenant);

        var list = await _client.FetchAsync(AdminApi.Policies, admin);
        var export = await _client.FetchAsync(AdminApi.Export, admin);

        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Empty(list.Json.GetProperty("items").EnumerateArray());
        Assert.Empty(JsonNode.Parse(export.Text)!["policies"]!.AsArray());
        Assert.Empty(JsonNode.Parse(export.Text)!["agents"]!.AsArray());
    }

    [Fact]
    public async Task PutPolicy_AdminOfOtherTenantSameId_WritesOnlyInTheirTenant()
    {
        var tenantA = AdminOf(TestTokens.TenantA);
        var tenant = AdminApi.NewId("tenant");
        var before = await _client.FetchAsync(AdminApi.Policy(SeededPolicy), tenantA);
        var staffBefore = await _client.FetchAsync(AdminApi.Policy("staff-may-use-general-assistant"), tenantA);

        var put = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(SeededPolicy), AdminApi.InvokePolicy(SeededPolicy, "hr-assistant", "bob"), ifMatch: "*", bearer: AdminOf(tenant));
        var create = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy("staff-may-use-general-assistant", "hr-assistant", "bob"), bearer: AdminOf(tenant));

        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal(HttpStatusCode.Created, create.Status);
        var after = await _client.FetchAsync(AdminApi.Policy(SeededPolicy), tenantA);
        Assert.Equal(before.ETag(), after.ETag());
        Assert.Equal(before.Json.GetProperty("body").GetRawText(), after.Json.GetProperty("body").GetRawText());
        Assert.Equal("bob", (await _client.FetchAsync(AdminApi.Policy(SeededPolicy), AdminOf(tenant))).Json.GetProperty("body").GetProperty("subjects").GetProperty("users")[0].GetString());
        Assert.Equal(staffBefore.ETag(), (await _client.FetchAsync(AdminApi.Policy("staff-may-use-general-assistant"), tenantA)).ETag());
        Assert.False((await _client.InvokeAsync("bob", "hr-assistant", _tokens.Mint())).Decision());
    }

    [Fact]
    public async Task DeleteAndSuspend_AdminOfOtherTenant_404AndTenantAUnchanged()
    {
        var tenant = AdminOf(AdminApi.NewId("tenant"));

        var delete = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(SeededPolicy), ifMatch: "*", bearer: tenant);
        var suspend = await _client.SendAsync(HttpMethod.Post, "/manage/v1/agents/hr-assistant/suspend", bearer: tenant);

        Assert.Equal(HttpStatusCode.NotFound, delete.Status);
        Assert.Equal(HttpStatusCode.NotFound, suspend.Status);
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync(AdminApi.Policy(SeededPolicy), AdminOf(TestTokens.TenantA))).Status);
        Assert.True((await _client.InvokeAsync("alice", "hr-assistant", _tokens.Mint())).Decision());
    }

    [Fact]
    public async Task PolicyVersions_SavedByIsTheCallingAppsObjectId()
    {
        var admin = AdminOf(AdminApi.NewId("tenant"), oid: "ops-console");
        var id = AdminApi.NewId("p");

        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "some-agent", "bob"), bearer: admin);
        var versions = await _client.FetchAsync(AdminApi.Policy(id) + "/versions", admin);

        Assert.Equal("ops-console", Assert.Single(versions.Json.EnumerateArray()).GetProperty("savedBy").GetString());
    }

    [Fact]
    public async Task ImportExport_TenantAExportedIntoFreshTenant_SameDocumentsAndAudited()
    {
        var tenant = AdminApi.NewId("tenant");
        var exportA = await _client.FetchAsync(AdminApi.Export, AdminOf(TestTokens.TenantA));

        var import = await _client.SendAsync(HttpMethod.Post, AdminApi.Import, exportA.Text, bearer: AdminOf(tenant, oid: "importer"));
        var exportNew = await _client.FetchAsync(AdminApi.Export, AdminOf(tenant));

        Assert.Equal(HttpStatusCode.OK, import.Status);
        var a = JsonNode.Parse(exportA.Text)!.AsObject();
        var copy = JsonNode.Parse(exportNew.Text)!.AsObject();
        Assert.Equal(tenant, copy["tenant"]!.GetValue<string>());
        a.Remove("tenant");
        copy.Remove("tenant");
        Assert.True(JsonNode.DeepEquals(a, copy), "the imported tenant's export differs from the source export");
        Assert.True((await _client.InvokeAsync("alice", "hr-assistant", _tokens.Mint(tenant: tenant))).Decision());
        var audit = await server.ListAllAsync(tenant, DocumentKinds.Audit);
        var entry = Assert.Single(audit);
        Assert.Equal("import", entry.Body.GetProperty("action").GetString());
        Assert.Equal("importer", entry.Body.GetProperty("by").GetString());
    }
}
