using System.Net;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>The schemas and the OpenAPI document are public even where every other route needs an Entra ID token.</summary>
public sealed class PublicDocumentTests(EntraIdServer server) : IClassFixture<EntraIdServer>
{
    [Theory]
    [InlineData("/schemas/policy.schema.json")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/openapi/generated/v1.json")]
    public async Task PublicDocument_NoToken_200(string path)
    {
        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Replay_NoToken_401()
    {
        using var content = new StringContent("""{"from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","remove":["x"]}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("/manage/v1/replay", content);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
