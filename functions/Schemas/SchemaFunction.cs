using Arbiter.Api.Http;
using Arbiter.Api.Schemas;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Schemas;

/// <summary>The JSON Schemas of Arbiter's documents, public (see <see cref="SchemaHandler"/>).</summary>
[RequiresRole(CallerRole.Public)]
public sealed class SchemaFunction(SchemaHandler schemas)
{
    [Function(nameof(SchemaFunction))]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SchemaHandler.Route)] HttpRequest request, string name) =>
        schemas.Get(name);
}
