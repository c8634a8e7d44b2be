using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Policies through the admin API of the self-hosted server: ETags and If-Match, versions, rollback, validation.</summary>
public sealed class AdminPolicyTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task CreatePolicy_Valid_201WithETagAndGetReturnsIt()
    {
        var id = AdminApi.NewId("p");

        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        var read = await _client.FetchAsync(AdminApi.Policy(id));

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(created.ETag(), read.ETag());
        Assert.Equal($"\"{read.Json.GetProperty("etag").GetString()}\"", read.ETag());
        Assert.Equal(id, read.Json.GetProperty("body").GetProperty("id").GetString());
    }

    [Fact]
    public async Task CreatePolicy_SameIdTwice_409()
    {
        var id = AdminApi.NewId("p");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var again = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        Assert.Equal(HttpStatusCode.Conflict, again.Status);
    }

    [Fact]
    public async Task UpdatePolicy_RightIfMatch_200WithNewETag()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var updated = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.NotEqual(created.ETag(), updated.ETag());
        var read = await _client.FetchAsync(AdminApi.Policy(id));
        Assert.Equal(updated.ETag(), read.ETag());
        Assert.Equal("carol", read.Json.GetProperty("body").GetProperty("subjects").GetProperty("users")[0].GetString());
    }

    [Fact]
    public async Task UpdatePolicy_StaleETag_412AndNothingOverwritten()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        var first = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());

        var stale = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "erin"), ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal("application/problem+json", stale.ContentType);
        var read = await _client.FetchAsync(AdminApi.Policy(id));
        Assert.Equal(first.ETag(), read.ETag());
        Assert.Equal("carol", read.Json.GetProperty("body").GetProperty("subjects").GetProperty("users")[0].GetString());
        var versions = await _client.FetchAsync(AdminApi.Policy(id) + "/versions");
        Assert.Equal(2, versions.Json.GetArrayLength());
    }

    [Fact]
    public async Task UpdatePolicy_NoIfMatch_428()
    {
        var id = AdminApi.NewId("p");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"));

        Assert.Equal((HttpStatusCode)428, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        var read = await _client.FetchAsync(AdminApi.Policy(id));
        Assert.Equal("bob", read.Json.GetProperty("body").GetProperty("subjects").GetProperty("users")[0].GetString());
    }

    [Fact]
    public async Task UpdatePolicy_TwoConcurrentWritersSameETag_ExactlyOneWins()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var replies = await Task.WhenAll(
            _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag()),
            _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "erin"), ifMatch: created.ETag()));

        Assert.Single(replies, r => r.Status == HttpStatusCode.OK);
        Assert.Single(replies, r => r.Status == HttpStatusCode.PreconditionFailed);
        var winner = replies.Single(r => r.Status == HttpStatusCode.OK);
        var read = await _client.FetchAsync(AdminApi.Policy(id));
        Assert.Equal(winner.ETag(), read.ETag());
        var versions = await _client.FetchAsync(AdminApi.Policy(id) + "/versions");
        Assert.Equal(2, versions.Json.GetArrayLength());
    }

    [Fact]
    public async Task DeletePolicy_WithIfMatch_204ThenGet404()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var deleted = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag());
        var read = await _client.FetchAsync(AdminApi.Policy(id));

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, read.Status);
        Assert.Equal("application/problem+json", read.ContentType);
        var list = await _client.FetchAsync(AdminApi.Policies + "?limit=1000");
        Assert.DoesNotContain(id, list.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task DeletePolicy_NoIfMatch_428AndStillThere()
    {
        var id = AdminApi.NewId("p");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var reply = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id));

        Assert.Equal((HttpStatusCode)428, reply.Status);
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
    }

    [Fact]
    public async Task DeletePolicy_StaleETag_412AndStillThere()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());

        var reply = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.PreconditionFailed, reply.Status);
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
    }

    [Fact]
    public async Task DeletePolicy_Unknown_404()
    {
        var reply = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(AdminApi.NewId("missing")), ifMatch: "*");

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    [Fact]
    public async Task ListPolicies_ContainsCreatedAndSeeded()
    {
        var id = AdminApi.NewId("p");
        await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var list = await _client.FetchAsync(AdminApi.Policies + "?limit=1000");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        var ids = list.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        Assert.Contains(id, ids);
        Assert.Contains("hr-may-use-hr-assistant", ids);
    }

    [Fact]
    public async Task PolicyVersions_CreateUpdateDelete_OneVersionPerSaveWithSavedBy()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        var updated = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: updated.ETag());

        var reply = await _client.FetchAsync(AdminApi.Policy(id) + "/versions");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var versions = reply.Json.EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(["create", "update", "delete"], versions.Select(v => v.GetProperty("change").GetString()));
        Assert.All(versions, v => Assert.Equal("development", v.GetProperty("savedBy").GetString()));
        Assert.Equal("bob", versions[0].GetProperty("policy").GetProperty("subjects").GetProperty("users")[0].GetString());
        Assert.Equal("carol", versions[1].GetProperty("policy").GetProperty("subjects").GetProperty("users")[0].GetString());
        Assert.True(versions[2].TryGetProperty("policy", out var deleted) is false || deleted.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task PolicyVersions_NoHistory_404()
    {
        var reply = await _client.FetchAsync(AdminApi.Policy(AdminApi.NewId("missing")) + "/versions");

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    [Fact]
    public async Task RollbackPolicy_ToVersion1_RestoresContentAsNewVersionAndDecisionsFollow()
    {
        var agent = await NewAgentAsync();
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, agent, "bob"));
        Assert.True((await _client.InvokeAsync("bob", agent)).Decision());
        var updated = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, agent, "carol"), ifMatch: created.ETag());
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.False((await _client.InvokeAsync("bob", agent)).Decision());

        var rollback = await _client.SendAsync(HttpMethod.Post, AdminApi.Policy(id) + "/rollback?version=1");

        Assert.Equal(HttpStatusCode.OK, rollback.Status);
        Assert.True((await _client.InvokeAsync("bob", agent)).Decision());
        Assert.False((await _client.InvokeAsync("carol", agent)).Decision());
        var read = await _client.FetchAsync(AdminApi.Policy(id));
        Assert.Equal("bob", read.Json.GetProperty("body").GetProperty("subjects").GetProperty("users")[0].GetString());
        var versions = (await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Json.EnumerateArray().ToList();
        Assert.Equal(3, versions.Count);
        Assert.Equal("rollback to 1", versions[2].GetProperty("change").GetString());
        Assert.Equal(versions[0].GetProperty("policy").GetRawText(), versions[2].GetProperty("policy").GetRawText());
    }

    [Fact]
    public async Task RollbackPolicy_StaleIfMatch_412()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(id, "hr-assistant", "carol"), ifMatch: created.ETag());

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Policy(id) + "/rollback?version=1", ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.PreconditionFailed, reply.Status);
    }

    [Fact]
    public async Task RollbackPolicy_AfterDelete_RestoresPolicyAndDecisionsFollow()
    {
        var agent = await NewAgentAsync();
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, agent, "bob"));
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag());
        Assert.False((await _client.InvokeAsync("bob", agent)).Decision());

        var rollback = await _client.SendAsync(HttpMethod.Post, AdminApi.Policy(id) + "/rollback?version=1");

        Assert.Equal(HttpStatusCode.OK, rollback.Status);
        Assert.Equal(HttpStatusCode.OK, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
        Assert.True((await _client.InvokeAsync("bob", agent)).Decision());
        var versions = (await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Json.EnumerateArray().ToList();
        Assert.Equal(["create", "delete", "rollback to 1"], versions.Select(v => v.GetProperty("change").GetString()));
    }

    [Fact]
    public async Task CreatePolicy_AfterDelete_RecreatedAndHistoryContinues()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag());

        var again = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "carol"));

        Assert.Equal(HttpStatusCode.Created, again.Status);
        var versions = (await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Json.EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], versions.Select(v => v.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task DeletePolicy_Twice_SecondIs404()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag());

        var second = await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: "*");

        Assert.Equal(HttpStatusCode.NotFound, second.Status);
        Assert.Equal(2, (await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Json.GetArrayLength());
    }

    [Fact]
    public async Task CreatePolicy_TwoConcurrentCreatesSameId_ExactlyOneWins()
    {
        var id = AdminApi.NewId("p");

        var replies = await Task.WhenAll(
            _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob")),
            _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "carol")));

        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.Single(replies, r => r.Status == HttpStatusCode.Conflict);
        Assert.Single((await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Json.EnumerateArray());
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest)]
    [InlineData("?version=x", HttpStatusCode.BadRequest)]
    [InlineData("?version=99", HttpStatusCode.NotFound)]
    [InlineData("?version=2", HttpStatusCode.BadRequest)]
    public async Task RollbackPolicy_BadVersion_Refused(string query, HttpStatusCode expected)
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        await _client.SendAsync(HttpMethod.Delete, AdminApi.Policy(id), ifMatch: created.ETag()); // version 2 is the deletion

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Policy(id) + "/rollback" + query);

        Assert.Equal(expected, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task ValidatePolicy_SeveralProblems_ListsEveryPathAndSavesNothing()
    {
        var id = AdminApi.NewId("p");
        var document = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["effect"] = "maybe",
            ["actions"] = Array.Empty<string>(),
            ["subjects"] = new { users = new[] { "bob" } },
            ["notAfter"] = "tomorrow",
            ["bogus"] = 1,
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Validate, document);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var json = reply.Json;
        Assert.False(json.GetProperty("valid").GetBoolean());
        var paths = json.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("path").GetString()).ToList();
        Assert.Contains("/bogus", paths);
        Assert.Contains("/effect", paths);
        Assert.Contains("/actions", paths);
        Assert.Contains("/notAfter", paths);
        Assert.All(json.GetProperty("problems").EnumerateArray(), p => Assert.False(string.IsNullOrEmpty(p.GetProperty("message").GetString())));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
    }

    [Fact]
    public async Task ValidatePolicy_Valid_ValidAndSavesNothing()
    {
        var id = AdminApi.NewId("p");

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Validate, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Json.GetProperty("valid").GetBoolean());
        Assert.Empty(reply.Json.GetProperty("problems").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
    }

    [Fact]
    public async Task CreatePolicy_BadDocument_400ProblemWithErrorPathsAndNothingSaved()
    {
        var id = AdminApi.NewId("p");
        var document = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["effect"] = "permit",
            ["actions"] = Array.Empty<string>(),
            ["subjects"] = new { users = new[] { "bob" } },
            ["bogus"] = true,
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, document);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        var paths = reply.ErrorPaths();
        Assert.Contains("/bogus", paths);
        Assert.Contains("/actions", paths);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(id))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(id) + "/versions")).Status);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"id\":")]
    [InlineData("\"policy\"")]
    public async Task CreatePolicy_NotAJsonObject_400Problem(string body)
    {
        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task UpdatePolicy_BadDocument_400AndNothingOverwritten()
    {
        var id = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));
        var bad = AdminApi.InvokePolicy(id, "hr-assistant", "carol");
        bad["effect"] = "allow";

        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), bad, ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("/effect", reply.ErrorPaths());
        Assert.Equal(created.ETag(), (await _client.FetchAsync(AdminApi.Policy(id))).ETag());
    }

    [Fact]
    public async Task UpdatePolicy_IdInBodyDiffersFromUrl_400AndNothingWritten()
    {
        var id = AdminApi.NewId("p");
        var other = AdminApi.NewId("p");
        var created = await _client.SendAsync(HttpMethod.Post, AdminApi.Policies, AdminApi.InvokePolicy(id, "hr-assistant", "bob"));

        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Policy(id), AdminApi.InvokePolicy(other, "hr-assistant", "carol"), ifMatch: created.ETag());

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal("/id", reply.Json.GetProperty("field").GetString());
        Assert.Equal(created.ETag(), (await _client.FetchAsync(AdminApi.Policy(id))).ETag());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(other))).Status);
    }

    [Fact]
    public async Task GetPolicy_Unknown_404Problem()
    {
        var reply = await _client.FetchAsync(AdminApi.Policy(AdminApi.NewId("missing")));

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    private async Task<string> NewAgentAsync()
    {
        var agent = AdminApi.NewId("agent");
        var reply = await _client.SendAsync(HttpMethod.Put, AdminApi.Directory("agents", agent), AdminApi.Agent());
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return agent;
    }
}
