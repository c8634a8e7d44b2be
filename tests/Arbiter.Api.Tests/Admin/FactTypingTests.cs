using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Runtime.Snapshots;
using Arbiter.Store;

namespace Arbiter.Api.Tests.Admin;

/// <summary>
/// A safety fact must be read as written or not at all: a wrongly typed one is refused at every write (schema, with
/// its path), and one stored anyway (written straight into the store, as an old import did) is read at its most
/// restrictive — disabled, suspended, most sensitive — never as a permit.
/// </summary>
public sealed class FactTypingTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Theory]
    [InlineData("users", """{"enabled":"false"}""", "/enabled")]
    [InlineData("agents", """{"enabled":true,"suspended":"true"}""", "/suspended")]
    [InlineData("agents", """{"enabled":1}""", "/enabled")]
    [InlineData("tools", """{"server":"hr-mcp","sensitivity":3}""", "/sensitivity")]
    [InlineData("mcp-servers", """{"sensitivity":"secret"}""", "/sensitivity")]
    [InlineData("groups", """{"memberUsers":"alice"}""", "/memberUsers")]
    public async Task DirectoryPut_WronglyTypedFact_400NamingIt(string collection, string body, string field)
    {
        var reply = await _client.SendAsync(AdminApi.Directory(collection, AdminApi.NewId("typed")),
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), method: HttpMethod.Put);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(field, reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Import_UserEnabledAsString_400NamingItAndNothingWritten()
    {
        var id = AdminApi.NewId("imp");
        var reply = await _client.PostAsync(AdminApi.Import, $$"""{"format":"arbiter-tenant/1","users":[{"id":"{{id}}","enabled":"false"}]}""");
        var stored = await _client.FetchAsync(AdminApi.Directory("users", id));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains($"/users[id={id}]/enabled", reply.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, stored.Status);
    }

    [Fact]
    public async Task Evaluate_StoredAgentSuspendedAsString_DeniedAsSuspended()
    {
        var agent = await _client.CreateInvokableAgentAsync();
        Assert.True((await _client.InvokeAsync("alice", agent)).Decision());

        await WriteStraightAsync(DocumentKinds.Agent, agent, $$"""{"id":"{{agent}}","enabled":true,"suspended":"true","owner":"erin","sponsors":["alice"]}""");
        var reply = await _client.InvokeAsync("alice", agent);

        Assert.False(reply.Decision());
        Assert.Contains("suspended", reply.ReasonAdmin(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_StoredUserEnabledAsString_DeniedAsDisabled()
    {
        var agent = await _client.CreateInvokableAgentAsync(user: "carol");
        Assert.True((await _client.InvokeAsync("carol", agent)).Decision());

        await WriteStraightAsync(DocumentKinds.User, "carol", """{"id":"carol","displayName":"Carol","enabled":"false"}""");
        var reply = await _client.InvokeAsync("carol", agent);

        Assert.False(reply.Decision());
        Assert.Contains("disabled", reply.ReasonAdmin(), StringComparison.Ordinal);
    }

    /// <summary>Bypasses every check, then makes this instance read it (as a refresh would).</summary>
    private async Task WriteStraightAsync(string kind, string id, string json)
    {
        using var document = JsonDocument.Parse(json);
        var store = (IDocumentStore)server.Services.GetService(typeof(IDocumentStore))!;
        await store.PutAsync(server.SeedTenant, kind, id, document.RootElement.Clone(), "*");
        await ((TenantSnapshots)server.Services.GetService(typeof(TenantSnapshots))!).RefreshAsync(server.SeedTenant, CancellationToken.None);
    }
}
