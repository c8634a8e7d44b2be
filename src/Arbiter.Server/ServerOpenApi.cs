using Arbiter.Api.Http;
using Microsoft.OpenApi;

namespace Arbiter.Server;

/// <summary>
/// The OpenAPI 3.1 document of every route (AuthZEN, admin, governance, schemas), generated from the endpoint metadata
/// the handlers declare (typed results) and served, public, at <c>/openapi/generated/v1.json</c>. Both hosts serve the
/// copy checked in at docs/openapi/v1.json at <c>/openapi/v1.json</c> (<see cref="Arbiter.Api.OpenApi.OpenApiDocumentHandler"/>);
/// a test holds the two equal, so a change of route, method or wire type is seen in review. The Functions app maps the
/// same routes (its own test holds the route tables equal), so the document describes both hosts.
/// </summary>
public static class ServerOpenApi
{
    public const string DocumentName = "v1";
    public const string Route = "/openapi/generated/{documentName}.json";

    public static void AddArbiterOpenApi(this WebApplicationBuilder builder) =>
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddOperationTransformer<OpenApiWireTypes>();
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Arbiter",
                    Version = DocumentName,
                    Description = "Runtime authorization for AI agents: the OpenID AuthZEN Authorization API 1.0 (access/v1), the admin API (manage/v1), governance and the document schemas. Request bodies are JSON documents described in README.md and schemas/.",
                };
                // The server's own address is the deployment's business; a checked-in document must not depend on it.
                document.Servers = [];
                return Task.CompletedTask;
            });
        });

    public static void MapArbiterOpenApi(this WebApplication app) =>
        app.MapOpenApi(Route).WithMetadata(new RequiresRoleAttribute(CallerRole.Public));
}
