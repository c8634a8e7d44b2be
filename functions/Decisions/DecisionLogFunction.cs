using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Decisions;

/// <summary>Decision log queries (admin role).</summary>
[RequiresRole(CallerRole.Admin)]
public sealed class DecisionLogFunction(DecisionLogHandlers log)
{
    [Function("DecisionLogQuery")]
    public Task<IResult> DecisionLog(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionLogHandlers.Route)] HttpRequest request,
        CancellationToken cancellationToken) => log.QueryAsync(request.HttpContext, request.Caller(), cancellationToken);

    [Function("DecisionLogGet")]
    public Task<IResult> Decision(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionLogHandlers.Route + "/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken) => log.GetAsync(request.Caller(), id, cancellationToken);
}
