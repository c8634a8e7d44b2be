using System.Net;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Every admin change leaves an audit document (who, what, which) in the tenant's store.</summary>
public sealed class AuditTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task PolicyChanges_CreateUpdateDeleteRollback_EachAudited()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        var updated = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());
        var rolledBack = await _client.SendAsync(HttpMethod.Post, AdminApi.Policy(id) + "/rollback?version=1");
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: rolledBack.ETag());
        Assert.Equal(HttpStatusCode.OK, updated.Status);

        var audit = await AuditOfAsync(id);

        Assert.Equal(Sorted("create", "update", "rollback to 1", "delete"), Sorted([.. audit.Select(a => a.Action)]));
        Assert.All(audit, a => Assert.Equal(DocumentKinds.Policy, a.Kind));
        Assert.All(audit, a => Assert.Equal("development", a.By));
    }

    [Fact]
    public async Task DirectoryAndKillSwitch_EachAudited()
    {
        var agent = AdminApi.NewId("agent");
        var created = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", agent), AdminApi.Agent());
        await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/suspend");
        await _client.SendAsync(HttpMethod.Post, $"{AdminApi.Prefix}/agents/{agent}/resume");
        var current = await _client.FetchAsync(AdminApi.Directory("agents", agent));
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Directory("agents", agent), ifMatch: current.ETag());
        Assert.Equal(HttpStatusCode.Created, created.Status);

        var audit = await AuditOfAsync(agent);

        Assert.Equal(Sorted("create", "suspend", "resume", "delete"), Sorted([.. audit.Select(a => a.Action)]));
        Assert.All(audit, a => Assert.Equal(DocumentKinds.Agent, a.Kind));
    }

    [Fact]
    public async Task RefusedChanges_StaleOrInvalid_NotAudited()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());
        var stale = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "erin"), ifMatch: created.ETag());
        var noIfMatch = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal((HttpStatusCode)428, noIfMatch.Status);

        var audit = await AuditOfAsync(id);

        Assert.Equal(Sorted("create", "update"), Sorted([.. audit.Select(a => a.Action)]));
    }

    // Timestamps have millisecond resolution, so two quick changes may tie: compare as sorted lists.
    private static string[] Sorted(params string[] actions) => [.. actions.Order(StringComparer.Ordinal)];

    private sealed record AuditEntry(string Action, string Kind, string By, DateTimeOffset At);

    private async Task<IReadOnlyList<AuditEntry>> AuditOfAsync(string target)
    {
        var documents = await server.ListAllAsync(server.SeedTenant, DocumentKinds.Audit);
        return [.. documents
            .Where(d => d.Body.GetProperty("target").GetString() == target)
            .Select(d => new AuditEntry(
                d.Body.GetProperty("action").GetString()!,
                d.Body.GetProperty("kind").GetString()!,
                d.Body.GetProperty("by").GetString()!,
                d.Body.GetProperty("at").GetDateTimeOffset()))];
    }
}
