using Arbiter.Api.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Health;

public sealed class HealthFunction(HealthEndpoint endpoint)
{
    [Function(nameof(HealthFunction))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request, CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request.HttpContext, cancellationToken);
}
