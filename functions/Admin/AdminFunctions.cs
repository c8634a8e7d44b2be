using Arbiter.Api.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Admin;

/// <summary>The admin API as HTTP triggers (app role Arbiter.Admin, checked by the shared handlers).</summary>
public sealed class AdminFunctions(AdminHandlers handlers)
{
    private const string P = AdminHandlers.Prefix;

    [Function("PolicyValidate")]
    public Task<IResult> Validate([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies/validate")] HttpRequest request, CancellationToken ct) =>
        handlers.ValidatePolicyAsync(request.HttpContext, ct);

    [Function("PolicyList")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies")] HttpRequest request, CancellationToken ct) =>
        handlers.ListPoliciesAsync(request.HttpContext, ct);

    [Function("PolicyCreate")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies")] HttpRequest request, CancellationToken ct) =>
        handlers.CreatePolicyAsync(request.HttpContext, ct);

    [Function("PolicyGet")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.GetPolicyAsync(request.HttpContext, id, ct);

    [Function("PolicyUpdate")]
    public Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.UpdatePolicyAsync(request.HttpContext, id, ct);

    [Function("PolicyDelete")]
    public Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.DeletePolicyAsync(request.HttpContext, id, ct);

    [Function("PolicyVersions")]
    public Task<IResult> Versions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies/{id}/versions")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.PolicyVersionsAsync(request.HttpContext, id, ct);

    [Function("PolicyRollback")]
    public Task<IResult> Rollback([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies/{id}/rollback")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.RollbackPolicyAsync(request.HttpContext, id, ct);

    [Function("DirectoryList")]
    public Task<IResult> DirectoryList([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/directory/{collection}")] HttpRequest request, string collection, CancellationToken ct) =>
        handlers.ListDirectoryAsync(request.HttpContext, collection, ct);

    [Function("DirectoryGet")]
    public Task<IResult> DirectoryGet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        handlers.GetDirectoryAsync(request.HttpContext, collection, id, ct);

    [Function("DirectoryPut")]
    public Task<IResult> DirectoryPut([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        handlers.PutDirectoryAsync(request.HttpContext, collection, id, ct);

    [Function("DirectoryDelete")]
    public Task<IResult> DirectoryDelete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        handlers.DeleteDirectoryAsync(request.HttpContext, collection, id, ct);

    [Function("AgentSuspend")]
    public Task<IResult> Suspend([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/agents/{id}/suspend")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.SuspendAgentAsync(request.HttpContext, id, ct);

    [Function("AgentResume")]
    public Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/agents/{id}/resume")] HttpRequest request, string id, CancellationToken ct) =>
        handlers.ResumeAgentAsync(request.HttpContext, id, ct);

    [Function("WhatIf")]
    public Task<IResult> WhatIf([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/whatif")] HttpRequest request, CancellationToken ct) =>
        handlers.WhatIfAsync(request.HttpContext, ct);

    [Function("TenantImport")]
    public Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/tenant/import")] HttpRequest request, CancellationToken ct) =>
        handlers.ImportAsync(request.HttpContext, ct);

    [Function("TenantExport")]
    public Task<IResult> Export([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/tenant/export")] HttpRequest request, CancellationToken ct) =>
        handlers.ExportAsync(request.HttpContext, ct);
}
