using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>The document schemas are served, public, with an $id that is the URL they are served at.</summary>
public sealed class SchemaRouteTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private readonly HttpClient _client = server.Client;

    [Theory]
    [InlineData("policy.schema.json")]
    [InlineData("tenant.schema.json")]
    [InlineData("policy-test.schema.json")]
    [InlineData("agent.schema.json")]
    public async Task Schema_Known_ServedWithItsOwnUrlAsId(string name)
    {
        using var response = await _client.GetAsync($"/schemas/{name}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal($"{ArbiterServerFixture.PublicBaseUrl}/schemas/{name}", json.RootElement.GetProperty("$id").GetString());
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", json.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public async Task Schema_TenantFile_ServedBytesMatchTheRepositoryApartFromId()
    {
        using var response = await _client.GetAsync("/schemas/tenant.schema.json");
        var served = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var shipped = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiDocumentTests.RepoRoot, "schemas", "tenant.schema.json")))!.AsObject();
        served.Remove("$id");
        shipped.Remove("$id");

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(shipped, served));
    }

    [Theory]
    [InlineData("nope.schema.json")]
    [InlineData("..%2Fappsettings.json")]
    public async Task Schema_Unknown_404Problem(string name)
    {
        using var response = await _client.GetAsync($"/schemas/{name}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
