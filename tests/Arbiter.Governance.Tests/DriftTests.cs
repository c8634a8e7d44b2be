using System.Text.Json.Nodes;
using Arbiter.Governance.Drift;
using Arbiter.Store;
using static Arbiter.Governance.Tests.GovernanceHarness;

namespace Arbiter.Governance.Tests;

public sealed class DriftTests
{
    /// <summary>Three agents, each invoked by its own group and granted its own server; no Graph needed.</summary>
    private static async Task SeedAsync(GovernanceHarness h, string tenant = Tenant)
    {
        for (var i = 1; i <= 6; i++)
            await h.PutAsync(DocumentKinds.User, $"u{i}", new JsonObject { ["enabled"] = true }, tenant);
        for (var a = 1; a <= 3; a++)
        {
            await h.PutAsync(DocumentKinds.Group, $"g{a}", new JsonObject { ["memberUsers"] = Array($"u{a}") }, tenant);
            await h.PutAsync(DocumentKinds.Agent, $"a{a}", new JsonObject { ["enabled"] = true, ["owner"] = $"u{a}", ["sponsors"] = Array($"u{a + 3}") }, tenant);
            await h.ServerAsync($"s{a}", "internal", tenant, $"t{a}:internal");
            await h.PolicyAsync($"invoke-{a}", new JsonObject
            {
                ["effect"] = "permit", ["actions"] = Array("agent.invoke"),
                ["subjects"] = new JsonObject { ["groups"] = Array($"g{a}") }, ["agents"] = new JsonObject { ["ids"] = Array($"a{a}") },
            }, tenant);
            await h.PolicyAsync($"grant-{a}", new JsonObject
            {
                ["effect"] = "permit", ["actions"] = Array("tools/call"), ["modes"] = Array("principal", "agentOnly"),
                ["agents"] = new JsonObject { ["ids"] = Array($"a{a}") }, ["resources"] = new JsonObject { ["servers"] = Array($"s{a}") },
            }, tenant);
        }
        await h.PolicyAsync("users-tools", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("tools/call"),
            ["subjects"] = new JsonObject { ["anyAuthenticated"] = true }, ["resources"] = new JsonObject { ["types"] = Array("tool") },
        }, tenant);
        await h.Detector.RunAsync(tenant, CancellationToken.None);
    }

    /// <summary>Grants a2 a confidential tool on a new server: new tool, new server, higher sensitivity.</summary>
    private static async Task WidenA2Async(GovernanceHarness h, string tenant = Tenant)
    {
        await h.ServerAsync("vault", "confidential", tenant, "vault-read:confidential");
        await h.PolicyAsync("grant-2-vault", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("tools/call"), ["modes"] = Array("principal", "agentOnly"),
            ["agents"] = new JsonObject { ["ids"] = Array("a2") }, ["resources"] = new JsonObject { ["ids"] = Array("vault-read") },
        }, tenant);
    }

    [Fact]
    public async Task Run_FirstTime_CertifiesEveryAgentAtRegistration()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);

        var baseline = await h.Queries.GetBaselineAsync(Tenant, "a2", CancellationToken.None);

        Assert.NotNull(baseline);
        Assert.Equal(BaselineReasons.Registration, baseline.Reason);
        Assert.Equal(["t2"], baseline.Entitlements.Tools);
        Assert.Equal(["s2"], baseline.Entitlements.Servers);
        Assert.Equal(["g2"], baseline.Entitlements.InvokingGroups);
        Assert.Equal("internal", baseline.Entitlements.MaxSensitivity);
        Assert.Equal(1, baseline.Entitlements.InvokingUsers);
        Assert.Empty(await h.FindingsAsync());
    }

    [Fact]
    public async Task Run_GrantChange_RecomputesOnlyThatAgentAndFindsNewReach()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);
        var before = h.Detector.Recomputations;

        await WidenA2Async(h);
        var run = await h.Detector.RunAsync(Tenant, CancellationToken.None);

        Assert.Equal(["a2"], run.AgentsRecomputed);
        Assert.Equal(1, h.Detector.Recomputations - before);
        var kinds = (await h.FindingsAsync("a2", FindingStates.Open)).Select(f => (f.Kind, f.Subject)).Order().ToList();
        Assert.Equal([(FindingKinds.HigherSensitivity, "confidential"), (FindingKinds.NewServer, "vault"), (FindingKinds.NewTool, "vault-read")], kinds);
        Assert.Empty(await h.FindingsAsync("a1"));
    }

    [Fact]
    public async Task Run_MembershipChange_RecomputesOnlyAgentsThatGroupMayInvoke()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);

        await h.PutAsync(DocumentKinds.Group, "g3", new JsonObject { ["memberUsers"] = Array("u3", "u6") });
        var run = await h.Detector.RunAsync(Tenant, CancellationToken.None);

        Assert.Equal(["a3"], run.AgentsRecomputed);
        Assert.Empty(await h.FindingsAsync(state: FindingStates.Open));
    }

    [Fact]
    public async Task Run_NothingChanged_RecomputesNothing()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);

        var run = await h.Detector.RunAsync(Tenant, CancellationToken.None);

        Assert.Empty(run.AgentsRecomputed);
        Assert.Equal(0, run.ChangesRead);
    }

    [Fact]
    public async Task Recheck_Twice_SameFindingIdsLastSeenUpdated()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);
        await WidenA2Async(h);
        await h.Detector.RunAsync(Tenant, CancellationToken.None);
        var first = (await h.FindingsAsync()).OrderBy(f => f.Id).ToList();

        h.Time.Advance(TimeSpan.FromHours(3));
        var run = await h.Detector.RecheckAsync(Tenant, null, CancellationToken.None);
        var second = (await h.FindingsAsync()).OrderBy(f => f.Id).ToList();

        Assert.Equal(0, run.FindingsOpened);
        Assert.Equal(first.Select(f => f.Id), second.Select(f => f.Id));
        Assert.All(second, f => Assert.Equal(h.Time.GetUtcNow(), f.LastSeen));
        Assert.Equal(first.Select(f => f.FirstSeen), second.Select(f => f.FirstSeen));
        Assert.Single(await h.TasksAsync("a2"));
        Assert.Single((await h.TasksAsync("a2"))[0].Findings, id => id == FindingKinds.FindingId("a2", FindingKinds.NewServer, "vault"));
    }

    [Fact]
    public async Task Approve_RecordsNewBaselineAndResolvesFindings()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);
        await WidenA2Async(h);
        await h.Detector.RunAsync(Tenant, CancellationToken.None);
        var task = Assert.Single(await h.TasksAsync("a2", ReviewStates.Open));

        var result = await h.Actions.ApproveAsync(Tenant, task.Id, "alice", "vault access is intended", CancellationToken.None);

        Assert.Equal(ReviewStates.Approved, result.Task!.State);
        var baseline = (await h.Queries.GetBaselineAsync(Tenant, "a2", CancellationToken.None))!;
        Assert.Equal("alice", baseline.ApprovedBy);
        Assert.Equal(BaselineReasons.Review, baseline.Reason);
        Assert.Equal(task.Id, baseline.TaskId);
        Assert.Equal(["t2", "vault-read"], baseline.Entitlements.Tools);
        Assert.All(await h.FindingsAsync("a2"), f => Assert.Equal(FindingStates.Resolved, f.State));
        await h.PolicyAsync("invoke-2", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("agent.invoke"), ["description"] = "touched",
            ["subjects"] = new JsonObject { ["groups"] = Array("g2") }, ["agents"] = new JsonObject { ["ids"] = Array("a2") },
        });
        var again = await h.Detector.RunAsync(Tenant, CancellationToken.None);
        Assert.Equal(["a2"], again.AgentsRecomputed);
        Assert.Equal(0, again.FindingsOpened);
        Assert.Empty(await h.TasksAsync("a2", ReviewStates.Open));
    }

    [Fact]
    public async Task Revoke_DedicatedGrant_IsDisabledAndReachReturnsToBaseline()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);
        await WidenA2Async(h);
        await h.Detector.RunAsync(Tenant, CancellationToken.None);
        var task = Assert.Single(await h.TasksAsync("a2", ReviewStates.Open));

        var result = await h.Actions.RevokeAsync(Tenant, task.Id, "alice", null, CancellationToken.None);

        Assert.Contains("disabled policy 'grant-2-vault'", result.Detail, StringComparison.Ordinal);
        var policy = await h.Store.GetAsync(Tenant, DocumentKinds.Policy, "grant-2-vault");
        Assert.Equal("disabled", policy!.Body.GetProperty("status").GetString());
        Assert.Null(await h.Store.GetAsync(Tenant, DocumentKinds.Policy, "gov-revoke-a2-reach"));
        var snapshot = await h.SnapshotAsync();
        Assert.False(snapshot.IsPermitted(new(new("agent", "a2"), "tools/call", new("tool", "vault-read"))));
        Assert.True(snapshot.IsPermitted(new(new("agent", "a2"), "tools/call", new("tool", "t2"))));
        Assert.All(await h.FindingsAsync("a2"), f => Assert.Equal(FindingStates.Resolved, f.State));
    }

    [Fact]
    public async Task Run_TwoTenants_FindingsAndTasksStayInTheirTenant()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);
        await SeedAsync(h, "fabrikam");

        await WidenA2Async(h);
        await h.Detector.RunAsync(Tenant, CancellationToken.None);
        var other = await h.Detector.RunAsync("fabrikam", CancellationToken.None);

        Assert.Empty(other.AgentsRecomputed);
        Assert.Empty(await h.FindingsAsync(tenant: "fabrikam"));
        Assert.Empty(await h.TasksAsync(tenant: "fabrikam"));
        Assert.NotEmpty(await h.FindingsAsync("a2"));
        var task = (await h.TasksAsync("a2"))[0];
        Assert.Equal(Reviews.ReviewActionStatus.NotFound, (await h.Actions.ApproveAsync("fabrikam", task.Id, "x", null, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Run_AgentDisabledInEntraStillGranted_CriticalFinding()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);

        await h.PutAsync(DocumentKinds.Agent, "a1", new JsonObject { ["enabled"] = false, ["source"] = "entra", ["owner"] = "u1", ["sponsors"] = Array("u4") });
        await h.Detector.RunAsync(Tenant, CancellationToken.None);

        var finding = Assert.Single(await h.FindingsAsync("a1", FindingStates.Open));
        Assert.Equal(FindingKinds.DisabledStillGranted, finding.Kind);
        Assert.Equal("critical", finding.Severity);
    }

    [Fact]
    public async Task Run_ExpiredGrant_LowFindingWithoutTask()
    {
        await using var h = await StartAsync();
        await SeedAsync(h);

        await h.PolicyAsync("grant-1", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("tools/call"), ["notAfter"] = h.Time.GetUtcNow().AddDays(-1).ToString("O"),
            ["agents"] = new JsonObject { ["ids"] = Array("a1") }, ["resources"] = new JsonObject { ["servers"] = Array("s1") },
        });
        await h.Detector.RunAsync(Tenant, CancellationToken.None);

        var finding = Assert.Single(await h.FindingsAsync("a1", FindingStates.Open));
        Assert.Equal(FindingKinds.GrantExpired, finding.Kind);
        Assert.Equal("grant-1", finding.Subject);
        Assert.Empty(await h.TasksAsync("a1"));
    }

    [Fact]
    public async Task PeriodicReview_OpensTaskWhenBaselineIsOld()
    {
        await using var h = await StartAsync(new() { ["Governance:PeriodicReviewDays"] = "30" });
        await SeedAsync(h);
        Assert.Equal(0, await h.Scheduler.OpenPeriodicReviewsAsync(Tenant, CancellationToken.None));

        h.Time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(3, await h.Scheduler.OpenPeriodicReviewsAsync(Tenant, CancellationToken.None));
        Assert.Equal(0, await h.Scheduler.OpenPeriodicReviewsAsync(Tenant, CancellationToken.None));

        var task = Assert.Single(await h.TasksAsync("a1", ReviewStates.Open));
        Assert.Equal(ReviewReasons.Periodic, task.Reason);
        Assert.NotNull(task.AnnouncedAt);
    }

    [Fact]
    public void Options_BadValues_FailValidation()
    {
        var result = new GovernanceOptionsValidator().Validate(null, new GovernanceOptions
        {
            ReviewQueue = "Bad_Queue",
            ReviewDueDays = 0,
            Severities = { ["nope"] = FindingSeverity.High },
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("ReviewQueue", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("ReviewDueDays", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Severities:nope", StringComparison.Ordinal));
        Assert.True(new GovernanceOptionsValidator().Validate(null, new GovernanceOptions()).Succeeded);
    }
}
