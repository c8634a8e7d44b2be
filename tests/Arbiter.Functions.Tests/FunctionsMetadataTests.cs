using System.Text.Json;

namespace Arbiter.Functions.Tests;

/// <summary>
/// The Functions host cannot run on our machines, so the contract with it is checked here: the
/// functions.metadata the worker SDK generates at build time names every function, trigger, route and auth level.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(Load);

    private static JsonElement[] Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata not found at {path}; the functions app was not built");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    public static TheoryData<string, string, string, string, string> HttpFunctions => new()
    {
        // name, route, methods, auth level, entry point type
        { "HealthFunction", "health", "get", "Anonymous", "Arbiter.Functions.Health.HealthFunction" },
        { "Evaluation", "access/v1/evaluation", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "Evaluations", "access/v1/evaluations", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "SearchSubject", "access/v1/search/subject", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "SearchResource", "access/v1/search/resource", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "SearchAction", "access/v1/search/action", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "AuthZenConfiguration", ".well-known/authzen-configuration", "get", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantEvaluation", "{tenant}/access/v1/evaluation", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantEvaluations", "{tenant}/access/v1/evaluations", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantSearchSubject", "{tenant}/access/v1/search/subject", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantSearchResource", "{tenant}/access/v1/search/resource", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantSearchAction", "{tenant}/access/v1/search/action", "post", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "TenantAuthZenConfiguration", ".well-known/authzen-configuration/{tenant}", "get", "Anonymous", "Arbiter.Functions.Decisions.DecisionFunctions" },
        { "PolicyValidate", "manage/v1/policies/validate", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyList", "manage/v1/policies", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyCreate", "manage/v1/policies", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyGet", "manage/v1/policies/{id}", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyUpdate", "manage/v1/policies/{id}", "put", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyDelete", "manage/v1/policies/{id}", "delete", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyVersions", "manage/v1/policies/{id}/versions", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "PolicyRollback", "manage/v1/policies/{id}/rollback", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "DirectoryList", "manage/v1/directory/{collection}", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "DirectoryGet", "manage/v1/directory/{collection}/{id}", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "DirectoryPut", "manage/v1/directory/{collection}/{id}", "put", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "DirectoryDelete", "manage/v1/directory/{collection}/{id}", "delete", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "AgentSuspend", "manage/v1/agents/{id}/suspend", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "AgentResume", "manage/v1/agents/{id}/resume", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "WhatIf", "manage/v1/whatif", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "TenantImport", "manage/v1/tenant/import", "post", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "TenantExport", "manage/v1/tenant/export", "get", "Anonymous", "Arbiter.Functions.Admin.AdminFunctions" },
        { "DecisionLogQuery", "manage/v1/decisions", "get", "Anonymous", "Arbiter.Functions.Decisions.DecisionLogFunction" },
        { "DecisionLogGet", "manage/v1/decisions/{id}", "get", "Anonymous", "Arbiter.Functions.Decisions.DecisionLogFunction" },
        { "GovernanceFindings", "manage/v1/governance/findings", "get", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceTasks", "manage/v1/governance/tasks", "get", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceTask", "manage/v1/governance/tasks/{id}", "get", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceApprove", "manage/v1/governance/tasks/{id}/approve", "post", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceRevoke", "manage/v1/governance/tasks/{id}/revoke", "post", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceSuspend", "manage/v1/governance/tasks/{id}/suspend", "post", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceDriftRun", "manage/v1/governance/drift/run", "post", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceEntitlements", "manage/v1/governance/agents/{id}/entitlements", "get", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "GovernanceCertify", "manage/v1/governance/agents/{id}/baseline", "post", "Anonymous", "Arbiter.Functions.Governance.GovernanceFunctions" },
        { "EntraSyncRun", "manage/v1/sync/run", "post", "Anonymous", "Arbiter.Functions.Sync.EntraSyncFunctions" },
        { "EntraSyncStatus", "manage/v1/sync/status", "get", "Anonymous", "Arbiter.Functions.Sync.EntraSyncFunctions" },
        { "PolicyReplay", "manage/v1/replay", "post", "Anonymous", "Arbiter.Functions.Admin.ReplayFunction" },
        { "SchemaFunction", "schemas/{name}", "get", "Anonymous", "Arbiter.Functions.Schemas.SchemaFunction" },
        { "OpenApiFunction", "openapi/v1.json", "get", "Anonymous", "Arbiter.Functions.OpenApi.OpenApiFunction" },
        { "ToolDefinitionObserve", "manage/v1/tool-definitions/observe", "post", "Anonymous", "Arbiter.Functions.Admin.ToolDefinitionFunctions" },
        { "ToolDefinitionList", "manage/v1/tool-definitions", "get", "Anonymous", "Arbiter.Functions.Admin.ToolDefinitionFunctions" },
        { "ToolDefinitionApprove", "manage/v1/tool-definitions/{server}/{tool}/approve", "post", "Anonymous", "Arbiter.Functions.Admin.ToolDefinitionFunctions" },
        { "ReviewStylesheet", "review/review.css", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewSignInPage", "review/signin", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewSignIn", "review/signin", "post", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewSignInEntra", "review/signin/entra", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewSignInCallback", "review/signin-oidc", "post", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewHome", "review", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewSignOut", "review/signout", "post", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewTask", "review/tasks/{id}", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewConfirmRevoke", "review/tasks/{id}/revoke", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewDecide", "review/tasks/{id}/{decision}", "post", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewAgents", "review/agents", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewConfirmKillSwitch", "review/agents/{id}/{action}", "get", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
        { "ReviewKillSwitch", "review/agents/{id}/{action}", "post", "Anonymous", "Arbiter.Functions.Review.ReviewFunctions" },
    };

    public static TheoryData<string, string, string, string> OtherFunctions => new()
    {
        // name, trigger type, schedule or queue, entry point type
        { "EntraSyncTimer", "timerTrigger", "%Sync:Schedule%", "Arbiter.Functions.Sync.EntraSyncFunctions" },
        { "DriftChangeFeed", "timerTrigger", "0 * * * * *", "Arbiter.Functions.Governance.GovernanceTimers" },
        { "GovernanceDaily", "timerTrigger", "0 30 3 * * *", "Arbiter.Functions.Governance.GovernanceTimers" },
        { "ReviewOverdueSweep", "timerTrigger", "0 15 * * * *", "Arbiter.Functions.Governance.GovernanceTimers" },
        { "ReviewTaskDelivered", "queueTrigger", "%Governance:ReviewQueue%", "Arbiter.Functions.Governance.GovernanceTimers" },
    };

    [Theory]
    [MemberData(nameof(OtherFunctions))]
    public void Metadata_NonHttpFunction_HasExpectedTrigger(string name, string triggerType, string setting, string entryType)
    {
        var function = Functions.Value.Single(f => f.GetProperty("name").GetString() == name);
        Assert.StartsWith(entryType + ".", function.GetProperty("entryPoint").GetString(), StringComparison.Ordinal);
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
        Assert.Equal(triggerType, trigger.GetProperty("type").GetString());
        var value = triggerType == "timerTrigger" ? trigger.GetProperty("schedule").GetString() : trigger.GetProperty("queueName").GetString();
        Assert.Equal(setting, value);
    }

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Metadata_HttpFunction_HasExpectedTriggerRouteAndAuthLevel(
        string name, string route, string methods, string authLevel, string entryType)
    {
        var function = Functions.Value.Single(f => f.GetProperty("name").GetString() == name);
        Assert.StartsWith(entryType + ".", function.GetProperty("entryPoint").GetString(), StringComparison.Ordinal);
        Assert.Equal("dotnet-isolated", function.GetProperty("language").GetString());

        var trigger = function.GetProperty("bindings").EnumerateArray()
            .Single(b => b.GetProperty("direction").GetString() == "In");
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
        Assert.Equal(methods.Split(','), trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!));
    }

    [Fact]
    public void Metadata_NoRoute_UsesTheHostsReservedAdminPrefix()
    {
        foreach (var function in Functions.Value)
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray())
            {
                if (binding.TryGetProperty("route", out var route))
                    Assert.False(route.GetString()!.StartsWith("admin", StringComparison.OrdinalIgnoreCase), route.GetString());
            }
        }
    }

    [Fact]
    public void Metadata_EveryFunction_IsListedInTheExpectations()
    {
        var expected = HttpFunctions.Select(row => (string)row[0]).Concat(OtherFunctions.Select(row => (string)row[0])).ToHashSet();
        var actual = Functions.Value.Select(f => f.GetProperty("name").GetString()!).ToHashSet();
        Assert.Equal(expected.Order(), actual.Order());
    }

    [Fact]
    public void HostJson_IsCopiedWithEmptyRoutePrefix()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));
        Assert.Equal("2.0", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal("", doc.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }
}
