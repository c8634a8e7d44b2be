using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c> (public): the OpenAPI 3.1 document of every route, the same on both hosts. It is the copy
/// checked in at docs/openapi/v1.json, compiled in; the self-hosted server generates the document from its endpoints
/// at <c>/openapi/generated/v1.json</c>, and a test holds the two equal, so what is served is what the code maps.
/// </summary>
public static class OpenApiDocumentHandler
{
    public const string Route = "openapi/v1.json";

    private static readonly string? Document = Load();

    public static Results<ContentHttpResult, ProblemHttpResult> Get() =>
        Document is null
            ? Problems.NotFound("this build has no OpenAPI document (docs/openapi/v1.json)")
            : TypedResults.Content(Document, "application/json");

    private static string? Load()
    {
        using var stream = typeof(OpenApiDocumentHandler).Assembly.GetManifestResourceStream("openapi/v1.json");
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
