using Arbiter.Api.Admin;
using Arbiter.Api.Decisions;
using Arbiter.Api.Governance;
using Arbiter.Api.Health;
using Arbiter.Api.Http;
using Arbiter.Api.OpenApi;
using Arbiter.Api.Schemas;
using Arbiter.Api.Security;
using Arbiter.Api.Sync;

namespace Arbiter.Server;

/// <summary>
/// Maps every route to the shared handlers, in groups that declare their caller role once; the edge middleware
/// authenticates by it. The Functions app maps the same routes with HTTP triggers (a test holds the two tables equal).
/// </summary>
public static class Endpoints
{
    public static WebApplication MapArbiterEndpoints(this WebApplication app)
    {
        var open = app.MapGroup("").WithMetadata(new RequiresRoleAttribute(CallerRole.Public));
        open.MapGet("/health", (HttpContext c, HealthEndpoint h, CancellationToken ct) => h.HandleAsync(c, ct));
        open.MapGet("/" + DecisionHandlers.ConfigurationRoute, (DecisionHandlers h) => h.Configuration());
        open.MapGet("/" + DecisionHandlers.ConfigurationRoute + "/{tenant}", (string tenant, DecisionHandlers h) => h.Configuration(tenant));
        open.MapGet("/" + SchemaHandler.Route, (string name, SchemaHandler h) => h.Get(name));
        open.MapGet("/" + OpenApiDocumentHandler.Route, () => OpenApiDocumentHandler.Get());

        var access = app.MapGroup("").WithMetadata(new RequiresRoleAttribute(CallerRole.Evaluate));
        access.MapPost("/" + DecisionHandlers.EvaluationRoute, (HttpContext c, Caller caller, DecisionInput input, DecisionHandlers h, CancellationToken ct) => h.EvaluateAsync(c, caller, input, ct));
        access.MapPost("/" + DecisionHandlers.EvaluationsRoute, (HttpContext c, Caller caller, DecisionInput input, DecisionHandlers h, CancellationToken ct) => h.EvaluateBatchAsync(c, caller, input, ct));
        access.MapPost("/" + DecisionHandlers.SearchSubjectRoute, (Caller caller, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchSubjectAsync(caller, input, ct));
        access.MapPost("/" + DecisionHandlers.SearchResourceRoute, (Caller caller, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchResourceAsync(caller, input, ct));
        access.MapPost("/" + DecisionHandlers.SearchActionRoute, (Caller caller, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchActionAsync(caller, input, ct));
        // The same, under the per-tenant PDP identifier: the path's tenant must be the caller's.
        var tenant = "/" + DecisionHandlers.TenantPrefix;
        access.MapPost(tenant + DecisionHandlers.EvaluationRoute, (HttpContext c, string tenant, DecisionInput input, DecisionHandlers h, CancellationToken ct) => h.EvaluateAsync(c, Caller.InTenant(c, tenant), input, ct));
        access.MapPost(tenant + DecisionHandlers.EvaluationsRoute, (HttpContext c, string tenant, DecisionInput input, DecisionHandlers h, CancellationToken ct) => h.EvaluateBatchAsync(c, Caller.InTenant(c, tenant), input, ct));
        access.MapPost(tenant + DecisionHandlers.SearchSubjectRoute, (HttpContext c, string tenant, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchSubjectAsync(Caller.InTenant(c, tenant), input, ct));
        access.MapPost(tenant + DecisionHandlers.SearchResourceRoute, (HttpContext c, string tenant, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchResourceAsync(Caller.InTenant(c, tenant), input, ct));
        access.MapPost(tenant + DecisionHandlers.SearchActionRoute, (HttpContext c, string tenant, JsonInput input, DecisionHandlers h, CancellationToken ct) => h.SearchActionAsync(Caller.InTenant(c, tenant), input, ct));

        var manage = app.MapGroup("/" + AdminDocuments.Prefix).WithMetadata(new RequiresRoleAttribute(CallerRole.Admin));
        manage.MapPost("/policies/validate", (JsonInput input) => PolicyHandlers.Validate(input));
        manage.MapGet("/policies", (HttpContext c, Caller caller, PolicyHandlers h, CancellationToken ct) => h.ListAsync(c, caller, ct));
        manage.MapPost("/policies", (HttpContext c, Caller caller, JsonInput input, PolicyHandlers h, CancellationToken ct) => h.CreateAsync(c, caller, input, ct));
        manage.MapGet("/policies/{id}", (HttpContext c, Caller caller, string id, PolicyHandlers h, CancellationToken ct) => h.GetAsync(c, caller, id, ct));
        manage.MapPut("/policies/{id}", (HttpContext c, Caller caller, JsonInput input, string id, PolicyHandlers h, CancellationToken ct) => h.UpdateAsync(c, caller, input, id, ct));
        manage.MapDelete("/policies/{id}", (HttpContext c, Caller caller, string id, PolicyHandlers h, CancellationToken ct) => h.DeleteAsync(c, caller, id, ct));
        manage.MapGet("/policies/{id}/versions", (Caller caller, string id, PolicyHandlers h, CancellationToken ct) => h.VersionsAsync(caller, id, ct));
        manage.MapPost("/policies/{id}/rollback", (HttpContext c, Caller caller, string id, PolicyHandlers h, CancellationToken ct) => h.RollbackAsync(c, caller, id, ct));
        manage.MapGet("/directory/{collection}", (HttpContext c, Caller caller, string collection, DirectoryHandlers h, CancellationToken ct) => h.ListAsync(c, caller, collection, ct));
        manage.MapGet("/directory/{collection}/{id}", (HttpContext c, Caller caller, string collection, string id, DirectoryHandlers h, CancellationToken ct) => h.GetAsync(c, caller, collection, id, ct));
        manage.MapPut("/directory/{collection}/{id}", (HttpContext c, Caller caller, JsonInput input, string collection, string id, DirectoryHandlers h, CancellationToken ct) => h.PutAsync(c, caller, input, collection, id, ct));
        manage.MapDelete("/directory/{collection}/{id}", (HttpContext c, Caller caller, string collection, string id, DirectoryHandlers h, CancellationToken ct) => h.DeleteAsync(c, caller, collection, id, ct));
        manage.MapPost("/agents/{id}/suspend", (HttpContext c, Caller caller, string id, AgentHandlers h, CancellationToken ct) => h.SuspendAsync(c, caller, id, ct));
        manage.MapPost("/agents/{id}/resume", (HttpContext c, Caller caller, string id, AgentHandlers h, CancellationToken ct) => h.ResumeAsync(c, caller, id, ct));
        manage.MapPost("/whatif", (Caller caller, JsonInput input, WhatIfHandler h, CancellationToken ct) => h.HandleAsync(caller, input, ct));
        manage.MapPost("/" + ReplayHandler.Route, (Caller caller, JsonInput input, ReplayHandler h, CancellationToken ct) => h.HandleAsync(caller, input, ct));
        manage.MapPost("/tenant/import", (Caller caller, JsonInput input, TenantHandlers h, CancellationToken ct) => h.ImportAsync(caller, input, ct));
        manage.MapGet("/tenant/export", (Caller caller, TenantHandlers h, CancellationToken ct) => h.ExportAsync(caller, ct));
        manage.MapGet("/decisions", (HttpContext c, Caller caller, DecisionLogHandlers h, CancellationToken ct) => h.QueryAsync(c, caller, ct));
        manage.MapGet("/decisions/{id}", (Caller caller, string id, DecisionLogHandlers h, CancellationToken ct) => h.GetAsync(caller, id, ct));
        manage.MapPost("/sync/run", (Caller caller, SyncHandlers h, CancellationToken ct) => h.RunAsync(caller, ct));
        manage.MapGet("/sync/status", (Caller caller, SyncHandlers h, CancellationToken ct) => h.StatusAsync(caller, ct));
        manage.MapGet("/tool-definitions", (HttpContext c, Caller caller, ToolDefinitionHandlers h, CancellationToken ct) => h.ListAsync(c, caller, ct));
        manage.MapPost("/tool-definitions/{server}/{tool}/approve", (Caller caller, string server, string tool, ToolDefinitionHandlers h, CancellationToken ct) => h.ApproveAsync(caller, server, tool, ct));
        // An enforcement point reports the tools it sees with its evaluate role: it needs no admin rights to be pinned.
        var pinning = app.MapGroup("/" + AdminDocuments.Prefix).WithMetadata(new RequiresRoleAttribute(CallerRole.Evaluate));
        pinning.MapPost("/" + ToolDefinitionHandlers.ObserveRoute, (Caller caller, JsonInput input, ToolDefinitionHandlers h, CancellationToken ct) => h.ObserveAsync(caller, input, ct));
        return app;
    }

    /// <summary>The governance admin routes (registered only when governance is on; see <see cref="ServerGovernance"/>).</summary>
    public static void MapGovernanceEndpoints(this WebApplication app)
    {
        var g = app.MapGroup("").WithMetadata(new RequiresRoleAttribute(CallerRole.Admin));
        g.MapGet("/" + GovernanceHandlers.FindingsRoute, (HttpContext c, Caller caller, GovernanceHandlers h, CancellationToken ct) => h.ListFindingsAsync(c, caller, ct));
        g.MapGet("/" + GovernanceHandlers.TasksRoute, (HttpContext c, Caller caller, GovernanceHandlers h, CancellationToken ct) => h.ListTasksAsync(c, caller, ct));
        g.MapGet("/" + GovernanceHandlers.TaskRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.GetTaskAsync(c, caller, id, ct));
        g.MapPost("/" + GovernanceHandlers.ApproveRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.ApproveTaskAsync(c, caller, id, ct));
        g.MapPost("/" + GovernanceHandlers.RevokeRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.RevokeTaskAsync(c, caller, id, ct));
        g.MapPost("/" + GovernanceHandlers.SuspendRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.SuspendTaskAsync(c, caller, id, ct));
        g.MapPost("/" + GovernanceHandlers.DriftRunRoute, (HttpContext c, Caller caller, GovernanceHandlers h, CancellationToken ct) => h.RunDriftAsync(c, caller, ct));
        g.MapGet("/" + GovernanceHandlers.EntitlementsRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.GetEntitlementsAsync(c, caller, id, ct));
        g.MapPost("/" + GovernanceHandlers.CertifyRoute, (HttpContext c, Caller caller, string id, GovernanceHandlers h, CancellationToken ct) => h.CertifyAgentAsync(c, caller, id, ct));
    }
}
