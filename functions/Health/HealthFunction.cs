using Arbiter.Api.Health;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Health;

/// <summary>Health: public; an admin token, when sent, adds the caller's own tenant (checked by the endpoint).</summary>
[RequiresRole(CallerRole.Public)]
public sealed class HealthFunction(HealthEndpoint endpoint)
{
    [Function(nameof(HealthFunction))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request, CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request.HttpContext, cancellationToken);
}
