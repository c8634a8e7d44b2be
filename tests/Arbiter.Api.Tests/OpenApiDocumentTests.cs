using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests;

/// <summary>
/// The OpenAPI document the server generates (/openapi/generated/v1.json) is the one checked in at docs/openapi/v1.json,
/// which both hosts serve at /openapi/v1.json, and it names every route the server maps. A change of route, method or
/// wire type fails here until the copy is updated: run the tests with ARBITER_UPDATE_OPENAPI=1 to write the generated
/// document over it, review the diff, and build again (the served copy is compiled in).
/// </summary>
public sealed class OpenApiDocumentTests(FullApiServer server) : IClassFixture<FullApiServer>
{
    public const string UpdateVariable = "ARBITER_UPDATE_OPENAPI";

    public static string RepoRoot { get; } = FindRoot();

    private static string CheckedIn => Path.Combine(RepoRoot, "docs", "openapi", "v1.json");

    private async Task<JsonObject> ServedAsync(string path = "/openapi/generated/v1.json")
    {
        using var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task OpenApi_Served_IsVersion31()
    {
        var served = await ServedAsync();

        Assert.StartsWith("3.1", served["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_Served_EqualsTheCheckedInCopy()
    {
        var served = await ServedAsync();
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(CheckedIn)!);
            await File.WriteAllTextAsync(CheckedIn, text);
        }
        Assert.True(File.Exists(CheckedIn), $"no {CheckedIn}: run the tests with {UpdateVariable}=1 to write it");
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(CheckedIn))!.AsObject();

        var servedOperations = Operations(served);
        var shippedOperations = Operations(shipped);
        Assert.True(servedOperations.SetEquals(shippedOperations),
            $"routes differ from docs/openapi/v1.json — served only: {string.Join(", ", servedOperations.Except(shippedOperations))}; checked in only: {string.Join(", ", shippedOperations.Except(servedOperations))} (update with {UpdateVariable}=1)");
        foreach (var operation in servedOperations)
        {
            var (method, path) = Split(operation);
            Assert.True(JsonNode.DeepEquals(served["paths"]![path]![method], shipped["paths"]![path]![method]),
                $"{operation} differs from docs/openapi/v1.json (its parameters, body or wire types changed; update with {UpdateVariable}=1 and review the diff)");
        }
        Assert.True(JsonNode.DeepEquals(served, shipped), $"the document differs from docs/openapi/v1.json outside the operations (update with {UpdateVariable}=1)");
    }

    [Fact]
    public async Task OpenApi_PublicDocument_IsTheCheckedInCopy()
    {
        var served = await ServedAsync("/openapi/v1.json");
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(CheckedIn))!.AsObject();

        Assert.True(JsonNode.DeepEquals(served, shipped), $"/openapi/v1.json is not docs/openapi/v1.json: build again after updating it");
    }

    [Fact]
    public async Task OpenApi_Served_NamesEveryRouteTheServerMaps()
    {
        var served = Operations(await ServedAsync());
        // Routes that say they are not part of the API (the reviewer's HTML pages) stay out of the document.
        var mapped = server.Services.GetServices<EndpointDataSource>().SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m.ToUpperInvariant()} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Where(o => !o.EndsWith("/openapi/generated/{documentName}.json", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(mapped.Count >= 36, $"only {mapped.Count} routes are mapped: is governance on?");
        Assert.Empty(mapped.Except(served));
    }

    private static HashSet<string> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}")).ToHashSet(StringComparer.Ordinal);

    private static (string Method, string Path) Split(string operation)
    {
        var space = operation.IndexOf(' ', StringComparison.Ordinal);
        return (operation[..space].ToLowerInvariant(), operation[(space + 1)..]);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Serverless.sln) is not above the test binaries");
    }
}
