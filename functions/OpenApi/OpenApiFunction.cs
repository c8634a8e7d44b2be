using Arbiter.Api.Http;
using Arbiter.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.OpenApi;

/// <summary>The OpenAPI document of the API, public (see <see cref="OpenApiDocumentHandler"/>).</summary>
[RequiresRole(CallerRole.Public)]
public sealed class OpenApiFunction
{
    [Function(nameof(OpenApiFunction))]
    public static IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OpenApiDocumentHandler.Route)] HttpRequest request) =>
        OpenApiDocumentHandler.Get();
}
