using Arbiter.Api.Decisions;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Decisions;

/// <summary>
/// The AuthZEN endpoints as HTTP triggers. Function keys are off (Anonymous): callers authenticate with Entra ID
/// bearer tokens, checked by the shared handlers exactly as on the self-hosted server.
/// </summary>
public sealed class DecisionFunctions(DecisionHandlers handlers, DecisionLogHandlers log)
{
    [Function("Evaluation")]
    public Task<IResult> Evaluation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.EvaluationRoute)] HttpRequest request,
        CancellationToken cancellationToken) => handlers.EvaluateAsync(request.HttpContext, cancellationToken);

    [Function("Evaluations")]
    public Task<IResult> Evaluations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.EvaluationsRoute)] HttpRequest request,
        CancellationToken cancellationToken) => handlers.EvaluateBatchAsync(request.HttpContext, cancellationToken);

    [Function("SearchSubject")]
    public Task<IResult> SearchSubject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchSubjectRoute)] HttpRequest request,
        CancellationToken cancellationToken) => handlers.SearchSubjectAsync(request.HttpContext, cancellationToken);

    [Function("SearchResource")]
    public Task<IResult> SearchResource(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchResourceRoute)] HttpRequest request,
        CancellationToken cancellationToken) => handlers.SearchResourceAsync(request.HttpContext, cancellationToken);

    [Function("SearchAction")]
    public Task<IResult> SearchAction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.SearchActionRoute)] HttpRequest request,
        CancellationToken cancellationToken) => handlers.SearchActionAsync(request.HttpContext, cancellationToken);

    [Function("AuthZenConfiguration")]
    public IResult Configuration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionHandlers.ConfigurationRoute)] HttpRequest request) =>
        handlers.Configuration(request.HttpContext);

    [Function("DecisionLogQuery")]
    public Task<IResult> DecisionLog(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionLogHandlers.Route)] HttpRequest request,
        CancellationToken cancellationToken) => log.QueryAsync(request.HttpContext, cancellationToken);
}
