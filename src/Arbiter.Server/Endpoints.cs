using Arbiter.Api.Admin;
using Arbiter.Api.Decisions;
using Arbiter.Api.Health;
using Arbiter.Api.Sync;
using Arbiter.Governance.Http;

namespace Arbiter.Server;

/// <summary>Maps every route to the shared handlers; the Functions app maps the same routes with HTTP triggers.</summary>
public static class Endpoints
{
    public static WebApplication MapArbiterEndpoints(this WebApplication app)
    {
        app.MapGet("/health", (HttpContext context, HealthEndpoint endpoint, CancellationToken ct) => endpoint.HandleAsync(context, ct));
        app.MapGet("/" + DecisionHandlers.ConfigurationRoute, (HttpContext context, DecisionHandlers h) => h.Configuration(context));
        app.MapPost("/" + DecisionHandlers.EvaluationRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.EvaluateAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.EvaluationsRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.EvaluateBatchAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchSubjectRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchSubjectAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchResourceRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchResourceAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchActionRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchActionAsync(context, ct));
        app.MapAdminEndpoints();
        return app;
    }

    private static void MapAdminEndpoints(this WebApplication app)
    {
        const string p = "/" + AdminHandlers.Prefix;
        app.MapPost(p + "/policies/validate", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.ValidatePolicyAsync(c, ct));
        app.MapGet(p + "/policies", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.ListPoliciesAsync(c, ct));
        app.MapPost(p + "/policies", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.CreatePolicyAsync(c, ct));
        app.MapGet(p + "/policies/{id}", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.GetPolicyAsync(c, id, ct));
        app.MapPut(p + "/policies/{id}", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.UpdatePolicyAsync(c, id, ct));
        app.MapDelete(p + "/policies/{id}", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.DeletePolicyAsync(c, id, ct));
        app.MapGet(p + "/policies/{id}/versions", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.PolicyVersionsAsync(c, id, ct));
        app.MapPost(p + "/policies/{id}/rollback", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.RollbackPolicyAsync(c, id, ct));
        app.MapGet(p + "/directory/{collection}", (HttpContext c, string collection, AdminHandlers h, CancellationToken ct) => h.ListDirectoryAsync(c, collection, ct));
        app.MapGet(p + "/directory/{collection}/{id}", (HttpContext c, string collection, string id, AdminHandlers h, CancellationToken ct) => h.GetDirectoryAsync(c, collection, id, ct));
        app.MapPut(p + "/directory/{collection}/{id}", (HttpContext c, string collection, string id, AdminHandlers h, CancellationToken ct) => h.PutDirectoryAsync(c, collection, id, ct));
        app.MapDelete(p + "/directory/{collection}/{id}", (HttpContext c, string collection, string id, AdminHandlers h, CancellationToken ct) => h.DeleteDirectoryAsync(c, collection, id, ct));
        app.MapPost(p + "/agents/{id}/suspend", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.SuspendAgentAsync(c, id, ct));
        app.MapPost(p + "/agents/{id}/resume", (HttpContext c, string id, AdminHandlers h, CancellationToken ct) => h.ResumeAgentAsync(c, id, ct));
        app.MapPost(p + "/whatif", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.WhatIfAsync(c, ct));
        app.MapPost(p + "/tenant/import", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.ImportAsync(c, ct));
        app.MapGet("/" + DecisionLogHandlers.Route, (HttpContext c, DecisionLogHandlers h, CancellationToken ct) => h.QueryAsync(c, ct));
        app.MapPost("/" + SyncHandlers.RunRoute, (HttpContext c, SyncHandlers h, CancellationToken ct) => h.RunAsync(c, ct));
        app.MapGet("/" + SyncHandlers.StatusRoute, (HttpContext c, SyncHandlers h, CancellationToken ct) => h.StatusAsync(c, ct));
        app.MapGet(p + "/tenant/export", (HttpContext c, AdminHandlers h, CancellationToken ct) => h.ExportAsync(c, ct));
    }

    /// <summary>The governance admin routes (registered only when governance is on; see <see cref="ServerGovernance"/>).</summary>
    internal static void MapGovernanceEndpoints(this WebApplication app)
    {
        app.MapGet("/" + GovernanceHandlers.FindingsRoute, (HttpContext c, GovernanceHandlers h, CancellationToken ct) => h.ListFindingsAsync(c, ct));
        app.MapGet("/" + GovernanceHandlers.TasksRoute, (HttpContext c, GovernanceHandlers h, CancellationToken ct) => h.ListTasksAsync(c, ct));
        app.MapGet("/" + GovernanceHandlers.TaskRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.GetTaskAsync(c, id, ct));
        app.MapPost("/" + GovernanceHandlers.ApproveRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.ApproveTaskAsync(c, id, ct));
        app.MapPost("/" + GovernanceHandlers.RevokeRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.RevokeTaskAsync(c, id, ct));
        app.MapPost("/" + GovernanceHandlers.SuspendRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.SuspendTaskAsync(c, id, ct));
        app.MapPost("/" + GovernanceHandlers.DriftRunRoute, (HttpContext c, GovernanceHandlers h, CancellationToken ct) => h.RunDriftAsync(c, ct));
        app.MapGet("/" + GovernanceHandlers.EntitlementsRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.GetEntitlementsAsync(c, id, ct));
        app.MapPost("/" + GovernanceHandlers.CertifyRoute, (HttpContext c, string id, GovernanceHandlers h, CancellationToken ct) => h.CertifyAgentAsync(c, id, ct));
    }
}
