using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Decisions;

/// <summary>
/// The AuthZEN endpoints as HTTP triggers. Function keys are off (Anonymous): callers authenticate with Entra ID
/// bearer tokens, checked by the edge middleware with the role declared here, exactly as on the self-hosted server.
/// </summary>
[RequiresRole(CallerRole.Evaluate)]
public sealed class DecisionFunctions(DecisionHandlers handlers)
{
    [Function("Evaluation")]
    public async Task<IResult> Evaluation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.EvaluationRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.EvaluateAsync(request.HttpContext, request.Caller(), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("Evaluations")]
    public async Task<IResult> Evaluations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.EvaluationsRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.EvaluateBatchAsync(request.HttpContext, request.Caller(), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("SearchSubject")]
    public async Task<IResult> SearchSubject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchSubjectRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.SearchSubjectAsync(request.Caller(), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("SearchResource")]
    public async Task<IResult> SearchResource(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchResourceRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.SearchResourceAsync(request.Caller(), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("SearchAction")]
    public async Task<IResult> SearchAction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchActionRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.SearchActionAsync(request.Caller(), await request.JsonAsync(cancellationToken), cancellationToken);

    /// <summary>PDP metadata: public (it names endpoints, not data).</summary>
    [Function("AuthZenConfiguration")]
    [RequiresRole(CallerRole.Public)]
    public IResult Configuration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionHandlers.ConfigurationRoute)] HttpRequest request) =>
        handlers.Configuration();
}
