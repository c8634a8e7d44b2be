using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Governance.Drift;
using Arbiter.Store;
using static Arbiter.Governance.Tests.GovernanceHarness;

namespace Arbiter.Governance.Tests;

/// <summary>Drift → finding → task on the queue → reviewer action, on the embedded store with the Graph simulator and Azurite.</summary>
public sealed class EndToEndTests
{
    /// <summary>u01..u06; g-finance (u02, u04) may invoke a-1 (owner u01, sponsor u02); g-sales (u01, u03) is not certified for it.</summary>
    private static async Task<GovernanceHarness> SeededAsync(Dictionary<string, string?>? settings = null)
    {
        var h = await StartWithGraphAsync(settings);
        var d = h.Simulator!.Directory;
        for (var i = 1; i <= 6; i++)
            d.AddUser($"u{i:00}", $"User {i}");
        d.AddGroup("g-finance", "Finance", ["u02", "u04"]);
        d.AddGroup("g-sales", "Sales", ["u01", "u03"]);
        d.AddAgent("a-1", "Invoice agent", "bp-1", owners: ["u01"], sponsors: ["u02"]);
        await h.SyncAsync();
        await h.ServerAsync("ledger", "internal", Tenant, "ledger-read:internal");
        await h.PolicyAsync("p-invoke", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("agent.invoke"),
            ["subjects"] = new JsonObject { ["groups"] = Array("g-finance") }, ["agents"] = new JsonObject { ["ids"] = Array("a-1") },
        });
        await h.PolicyAsync("p-grant", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("tools/call"),
            ["agents"] = new JsonObject { ["ids"] = Array("a-1") }, ["resources"] = new JsonObject { ["servers"] = Array("ledger") },
        });
        await h.PolicyAsync("p-users", new JsonObject
        {
            ["effect"] = "permit", ["actions"] = Array("tools/call"),
            ["subjects"] = new JsonObject { ["groups"] = Array("g-finance", "g-sales") }, ["resources"] = new JsonObject { ["types"] = Array("tool") },
        });
        var first = await h.Detector.RunAsync(Tenant, CancellationToken.None);
        Assert.True(first.Full);
        Assert.Empty(await h.FindingsAsync(state: FindingStates.Open));
        return h;
    }

    [Fact]
    public async Task SyncNestsGroup_FindingTaskQueueRevoke_NextDecisionDenied()
    {
        await using var h = await SeededAsync();
        Assert.False(await h.MayInvokeAsync("u03", "a-1"));

        // Entra: Sales is nested into Finance, so Sales members may now invoke the agent.
        h.Simulator!.Directory.AddMember("g-finance", "g-sales");
        await h.SyncAsync();
        Assert.True(await h.MayInvokeAsync("u03", "a-1"));
        var run = await h.Detector.RunAsync(Tenant, CancellationToken.None);

        Assert.Contains("a-1", run.AgentsRecomputed);
        var finding = Assert.Single(await h.FindingsAsync("a-1", FindingStates.Open));
        Assert.Equal(FindingKinds.NewInvokingGroup, finding.Kind);
        Assert.Equal("g-sales", finding.Subject);
        Assert.Equal("medium", finding.Severity);
        Assert.Equal(FindingKinds.FindingId("a-1", FindingKinds.NewInvokingGroup, "g-sales"), finding.Id);

        var task = Assert.Single(await h.TasksAsync("a-1", ReviewStates.Open));
        Assert.Equal(finding.TaskId, task.Id);
        Assert.Equal(["u02", "u01"], task.Reviewers);
        Assert.Equal(h.Time.GetUtcNow().AddDays(14), task.DueAt);
        Assert.Equal(["g-sales"], task.Diff.AddedGroups);
        Assert.NotNull(task.AnnouncedAt);

        var received = await h.QueueClient().ReceiveMessageAsync();
        Assert.NotNull(received.Value);
        var message = JsonSerializer.Deserialize(received.Value.Body.ToString(), GovernanceJsonContext.Default.ReviewMessage)!;
        Assert.Equal(task.Id, message.TaskId);
        Assert.Equal(Tenant, message.TenantId);
        Assert.Equal("a-1", message.AgentId);
        Assert.True(await h.Delivery.RecordAsync(received.Value.Body.ToString(), CancellationToken.None));
        Assert.True(await h.Delivery.RecordAsync(received.Value.Body.ToString(), CancellationToken.None));
        var delivered = (await h.Queries.GetTaskAsync(Tenant, task.Id, CancellationToken.None))!;
        Assert.NotNull(delivered.DeliveredAt);
        Assert.Single(delivered.History, e => e.Action == "deliver");

        var result = await h.Actions.RevokeAsync(Tenant, task.Id, "reviewer-u02", "Sales should not use the invoice agent", CancellationToken.None);

        Assert.Equal(Reviews.ReviewActionStatus.Done, result.Status);
        Assert.Equal(ReviewStates.Revoked, result.Task!.State);
        Assert.Contains("gov-revoke-a-1-invoke", result.Detail, StringComparison.Ordinal);
        Assert.False(await h.MayInvokeAsync("u03", "a-1"));
        Assert.True(await h.MayInvokeAsync("u04", "a-1"));
        Assert.Equal(FindingStates.Resolved, (await h.FindingsAsync("a-1")).Single(f => f.Id == finding.Id).State);
        Assert.Empty(await h.TasksAsync("a-1", ReviewStates.Open));
        var audit = await h.Store.ListAsync(Tenant, DocumentKinds.Audit, limit: 100);
        Assert.Contains(audit.Items, a => a.Body.GetProperty("action").GetString() == "revoke" && a.Body.GetProperty("by").GetString() == "reviewer-u02");
    }

    [Fact]
    public async Task OwnerDisabledInEntra_OrphanedAgentFinding()
    {
        await using var h = await SeededAsync();

        h.Simulator!.Directory.DisableUser("u01");
        await h.SyncAsync();
        var run = await h.Detector.RunAsync(Tenant, CancellationToken.None);

        Assert.Equal(["a-1"], run.AgentsRecomputed);
        var finding = Assert.Single(await h.FindingsAsync("a-1", FindingStates.Open));
        Assert.Equal(FindingKinds.OrphanedAgent, finding.Kind);
        Assert.Equal("owner:u01", finding.Subject);
        Assert.Equal("high", finding.Severity);
        Assert.Equal("u01", finding.Owner);
        Assert.Single(await h.TasksAsync("a-1", ReviewStates.Open));
    }

    [Fact]
    public async Task OverdueTask_SuspendsAgentAndSaysSo()
    {
        await using var h = await SeededAsync();
        h.Simulator!.Directory.AddMember("g-finance", "g-sales");
        await h.SyncAsync();
        await h.Detector.RunAsync(Tenant, CancellationToken.None);
        var task = Assert.Single(await h.TasksAsync("a-1", ReviewStates.Open));

        h.Time.Advance(TimeSpan.FromDays(13));
        Assert.Empty(await h.Sweeper.RunAsync(Tenant, CancellationToken.None));
        h.Time.Advance(TimeSpan.FromDays(2));
        var expired = Assert.Single(await h.Sweeper.RunAsync(Tenant, CancellationToken.None));

        Assert.Equal(task.Id, expired.Id);
        Assert.Equal(ReviewStates.Expired, expired.State);
        Assert.Equal(Reviews.ReviewActions.OverdueActor, expired.ClosedBy);
        Assert.Contains(expired.History, e => e.Action == "overdue" && e.Note.Contains("OverdueAction=Suspend", StringComparison.Ordinal));
        Assert.Contains(expired.History, e => e.Action == "suspend" && e.Note.Contains("suspended", StringComparison.Ordinal));
        var agent = await h.Store.GetAsync(Tenant, DocumentKinds.Agent, "a-1");
        Assert.True(agent!.Body.GetProperty("suspended").GetBoolean());
        Assert.False(await h.MayInvokeAsync("u02", "a-1"));
        // A suspended agent gets no new review.
        await h.Detector.RecheckAsync(Tenant, null, CancellationToken.None);
        Assert.Empty(await h.TasksAsync("a-1", ReviewStates.Open));
    }
}
