using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
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
        CancellationToken cancellationToken) => await handlers.EvaluateAsync(request.HttpContext, request.Caller(), await request.DecisionInputAsync(cancellationToken), cancellationToken);

    [Function("Evaluations")]
    public async Task<IResult> Evaluations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.EvaluationsRoute)] HttpRequest request,
        CancellationToken cancellationToken) => await handlers.EvaluateBatchAsync(request.HttpContext, request.Caller(), await request.DecisionInputAsync(cancellationToken), cancellationToken);

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

    // The per-tenant PDP identifier ({base}/{tenant}): the same handlers; the path's tenant must be the caller's.

    [Function("TenantEvaluation")]
    public async Task<IResult> TenantEvaluation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.TenantPrefix + DecisionHandlers.EvaluationRoute)] HttpRequest request,
        string tenant, CancellationToken cancellationToken) =>
        await handlers.EvaluateAsync(request.HttpContext, Caller.InTenant(request.HttpContext, tenant), await request.DecisionInputAsync(cancellationToken), cancellationToken);

    [Function("TenantEvaluations")]
    public async Task<IResult> TenantEvaluations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.TenantPrefix + DecisionHandlers.EvaluationsRoute)] HttpRequest request,
        string tenant, CancellationToken cancellationToken) =>
        await handlers.EvaluateBatchAsync(request.HttpContext, Caller.InTenant(request.HttpContext, tenant), await request.DecisionInputAsync(cancellationToken), cancellationToken);

    [Function("TenantSearchSubject")]
    public async Task<IResult> TenantSearchSubject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.TenantPrefix + DecisionHandlers.SearchSubjectRoute)] HttpRequest request,
        string tenant, CancellationToken cancellationToken) =>
        await handlers.SearchSubjectAsync(Caller.InTenant(request.HttpContext, tenant), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("TenantSearchResource")]
    public async Task<IResult> TenantSearchResource(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.TenantPrefix + DecisionHandlers.SearchResourceRoute)] HttpRequest request,
        string tenant, CancellationToken cancellationToken) =>
        await handlers.SearchResourceAsync(Caller.InTenant(request.HttpContext, tenant), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("TenantSearchAction")]
    public async Task<IResult> TenantSearchAction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = DecisionHandlers.TenantPrefix + DecisionHandlers.SearchActionRoute)] HttpRequest request,
        string tenant, CancellationToken cancellationToken) =>
        await handlers.SearchActionAsync(Caller.InTenant(request.HttpContext, tenant), await request.JsonAsync(cancellationToken), cancellationToken);

    [Function("TenantAuthZenConfiguration")]
    [RequiresRole(CallerRole.Public)]
    public IResult TenantConfiguration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionHandlers.ConfigurationRoute + "/{tenant}")] HttpRequest request,
        string tenant) =>
        handlers.Configuration(tenant);

    /// <summary>PDP metadata: public (it names endpoints, not data).</summary>
    [Function("AuthZenConfiguration")]
    [RequiresRole(CallerRole.Public)]
    public IResult Configuration(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = DecisionHandlers.ConfigurationRoute)] HttpRequest request) =>
        handlers.Configuration();
}
