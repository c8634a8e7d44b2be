using Arbiter.Api.Admin;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Admin;

/// <summary>The admin API as HTTP triggers (admin role, checked by the edge middleware).</summary>
[RequiresRole(CallerRole.Admin)]
public sealed class AdminFunctions(PolicyHandlers policies, DirectoryHandlers directory, AgentHandlers agents, WhatIfHandler whatIf, TenantHandlers tenant)
{
    private const string P = AdminDocuments.Prefix;

    [Function("PolicyValidate")]
    public static async Task<IResult> Validate([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies/validate")] HttpRequest request, CancellationToken ct) =>
        PolicyHandlers.Validate(await request.JsonAsync(ct));

    [Function("PolicyList")]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies")] HttpRequest request, CancellationToken ct) =>
        await policies.ListAsync(request.HttpContext, request.Caller(), ct);

    [Function("PolicyCreate")]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies")] HttpRequest request, CancellationToken ct) =>
        await policies.CreateAsync(request.HttpContext, request.Caller(), await request.JsonAsync(ct), ct);

    [Function("PolicyGet")]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await policies.GetAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("PolicyUpdate")]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await policies.UpdateAsync(request.HttpContext, request.Caller(), await request.JsonAsync(ct), id, ct);

    [Function("PolicyDelete")]
    public async Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = P + "/policies/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await policies.DeleteAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("PolicyVersions")]
    public async Task<IResult> Versions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/policies/{id}/versions")] HttpRequest request, string id, CancellationToken ct) =>
        await policies.VersionsAsync(request.Caller(), id, ct);

    [Function("PolicyRollback")]
    public async Task<IResult> Rollback([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/policies/{id}/rollback")] HttpRequest request, string id, CancellationToken ct) =>
        await policies.RollbackAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("DirectoryList")]
    public async Task<IResult> DirectoryList([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/directory/{collection}")] HttpRequest request, string collection, CancellationToken ct) =>
        await directory.ListAsync(request.HttpContext, request.Caller(), collection, ct);

    [Function("DirectoryGet")]
    public async Task<IResult> DirectoryGet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        await directory.GetAsync(request.HttpContext, request.Caller(), collection, id, ct);

    [Function("DirectoryPut")]
    public async Task<IResult> DirectoryPut([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        await directory.PutAsync(request.HttpContext, request.Caller(), await request.JsonAsync(ct), collection, id, ct);

    [Function("DirectoryDelete")]
    public async Task<IResult> DirectoryDelete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = P + "/directory/{collection}/{id}")] HttpRequest request, string collection, string id, CancellationToken ct) =>
        await directory.DeleteAsync(request.HttpContext, request.Caller(), collection, id, ct);

    [Function("AgentSuspend")]
    public async Task<IResult> Suspend([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/agents/{id}/suspend")] HttpRequest request, string id, CancellationToken ct) =>
        await agents.SuspendAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("AgentResume")]
    public async Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/agents/{id}/resume")] HttpRequest request, string id, CancellationToken ct) =>
        await agents.ResumeAsync(request.HttpContext, request.Caller(), id, ct);

    [Function("WhatIf")]
    public async Task<IResult> WhatIf([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/whatif")] HttpRequest request, CancellationToken ct) =>
        await whatIf.HandleAsync(request.Caller(), await request.JsonAsync(ct), ct);

    [Function("TenantImport")]
    public async Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/tenant/import")] HttpRequest request, CancellationToken ct) =>
        await tenant.ImportAsync(request.Caller(), await request.JsonAsync(ct), ct);

    [Function("TenantExport")]
    public async Task<IResult> Export([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/tenant/export")] HttpRequest request, CancellationToken ct) =>
        await tenant.ExportAsync(request.Caller(), ct);
}
