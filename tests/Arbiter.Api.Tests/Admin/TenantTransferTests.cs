using System.Net;
using System.Text.Json.Nodes;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Tenant import and export through the admin API: a round trip keeps every document; a bad file writes nothing.</summary>
public sealed class TenantTransferTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task ImportExport_ExportedFileReimported_SameDocuments()
    {
        var before = await _client.FetchAsync(AdminApi.Export);
        Assert.Equal(HttpStatusCode.OK, before.Status);

        var import = await _client.SendAsync(HttpMethod.Post, AdminApi.Import, before.Text);
        var after = await _client.FetchAsync(AdminApi.Export);

        Assert.Equal(HttpStatusCode.OK, import.Status);
        var file = JsonNode.Parse(before.Text)!.AsObject();
        var documents = new[] { "users", "groups", "agents", "mcpServers", "tools", "dataResources", "policies" }.Sum(s => file[s]!.AsArray().Count);
        Assert.True(documents > 30, "the demo tenant has dozens of documents");
        Assert.Equal(documents, import.Json.GetProperty("written").GetInt32());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before.Text), JsonNode.Parse(after.Text)), "export after import differs");
    }

    [Fact]
    public async Task Export_SeededTenant_EveryDocumentOfTheSeedFile()
    {
        var reply = await _client.FetchAsync(AdminApi.Export);

        var export = JsonNode.Parse(reply.Text)!.AsObject();
        var seed = JsonNode.Parse(await File.ReadAllTextAsync(ArbiterServerFixture.DemoTenantFile))!.AsObject();
        Assert.Equal("arbiter-tenant/1", export["format"]!.GetValue<string>());
        foreach (var section in new[] { "users", "groups", "agents", "mcpServers", "tools", "dataResources", "policies" })
        {
            var exported = export[section]!.AsArray().ToDictionary(i => i!["id"]!.GetValue<string>());
            foreach (var item in seed[section]!.AsArray())
                Assert.True(JsonNode.DeepEquals(item, exported[item!["id"]!.GetValue<string>()]), $"{section}/{item!["id"]} differs");
        }
    }

    [Fact]
    public async Task Import_FileWithOneInvalidPolicy_400AndNothingWritten()
    {
        var before = await _client.FetchAsync(AdminApi.Export);
        var newTool = AdminApi.NewId("tool");
        var newPolicy = AdminApi.NewId("p");
        var file = new JsonObject
        {
            ["format"] = "arbiter-tenant/1",
            ["tools"] = new JsonArray(new JsonObject { ["id"] = newTool, ["server"] = "docs-mcp", ["sensitivity"] = "public" }),
            ["policies"] = new JsonArray(
                JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(AdminApi.InvokePolicy(newPolicy, "hr-assistant", "bob"))),
                new JsonObject { ["id"] = "broken-policy", ["effect"] = "sometimes", ["actions"] = new JsonArray() }),
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Import, file.ToJsonString());
        var after = await _client.FetchAsync(AdminApi.Export);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains(reply.ErrorPaths(), p => p.StartsWith("/policies[id=broken-policy]", StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before.Text), JsonNode.Parse(after.Text)), "a refused import changed the tenant");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Directory("tools", newTool))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.FetchAsync(AdminApi.Policy(newPolicy))).Status);
    }

    [Fact]
    public async Task Import_FileWithInvalidDirectoryItem_400AndNothingWritten()
    {
        var before = await _client.FetchAsync(AdminApi.Export);
        var newUser = AdminApi.NewId("user");
        var file = new JsonObject
        {
            ["format"] = "arbiter-tenant/1",
            ["users"] = new JsonArray(new JsonObject { ["id"] = newUser, ["enabled"] = true }),
            ["tools"] = new JsonArray(new JsonObject { ["id"] = "serverless-tool", ["sensitivity"] = "public" }),
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Import, file.ToJsonString());
        var after = await _client.FetchAsync(AdminApi.Export);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.NotEmpty(reply.ErrorPaths());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before.Text), JsonNode.Parse(after.Text)), "a refused import changed the tenant");
    }

    [Fact]
    public async Task Import_NewPolicy_DecisionsFollowAtOnce()
    {
        var agent = AdminApi.NewId("agent");
        var file = new JsonObject
        {
            ["format"] = "arbiter-tenant/1",
            ["agents"] = new JsonArray(new JsonObject { ["id"] = agent, ["enabled"] = true, ["owner"] = "erin" }),
            ["policies"] = new JsonArray(JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(AdminApi.InvokePolicy(AdminApi.NewId("p"), agent, "bob")))),
        };

        var reply = await _client.SendAsync(HttpMethod.Post, AdminApi.Import, file.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(2, reply.Json.GetProperty("written").GetInt32());
        Assert.True((await _client.InvokeAsync("bob", agent)).Decision());
    }
}
