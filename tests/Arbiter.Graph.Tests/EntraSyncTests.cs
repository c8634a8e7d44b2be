using Arbiter.Graph.Sync;
using Arbiter.GraphSimulator;
using Arbiter.Store;

namespace Arbiter.Graph.Tests;

public sealed class EntraSyncTests
{
    [Fact]
    public async Task SyncTenant_InitialSync_WritesUsersGroupsAndAgents()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        Assert.Equal(12, result.Counts[SyncResources.Users].Upserted);
        Assert.Equal(4, result.Counts[SyncResources.Groups].Upserted);
        Assert.Equal(4, result.Counts[SyncResources.Agents].Upserted);
        Assert.True(result.Counts[SyncResources.Users].Pages >= 3, "12 users at 5 per page need several pages");

        var user = (await h.BodyAsync(DocumentKinds.User, "u02"))!.Value;
        Assert.Equal("User 2", user.GetProperty("displayName").GetString());
        Assert.True(user.GetProperty("enabled").GetBoolean());
        Assert.Equal("Finance", user.GetProperty("attributes").GetProperty("department").GetString());
        Assert.Equal("Analyst", user.GetProperty("attributes").GetProperty("jobTitle").GetString());
        Assert.Equal("entra", user.GetProperty("source").GetString());

        var finance = (await h.BodyAsync(DocumentKinds.Group, "g-finance"))!.Value;
        Assert.Equal(["u02", "u04", "u06", "u08"], SyncHarness.Strings(finance, "memberUsers"));
        Assert.Empty(SyncHarness.Strings(finance, "memberGroups"));

        var agent = (await h.BodyAsync(DocumentKinds.Agent, "a-2"))!.Value;
        Assert.Equal("Sales agent", agent.GetProperty("displayName").GetString());
        Assert.True(agent.GetProperty("enabled").GetBoolean());
        Assert.False(agent.GetProperty("suspended").GetBoolean());
        Assert.Equal("u03", agent.GetProperty("owner").GetString());
        Assert.Equal(["u04"], SyncHarness.Strings(agent, "sponsors"));
        Assert.Equal(["crm", "sales"], SyncHarness.Strings(agent, "tags"));
        Assert.Equal("bp-1", agent.GetProperty("blueprintId").GetString());
        Assert.Equal(["g-sales"], SyncHarness.Strings(agent.GetProperty("attributes"), "sponsorGroups"));
        Assert.Equal(["u03", "u05"], SyncHarness.Strings(agent.GetProperty("attributes"), "owners"));

        var usersState = (await h.BodyAsync(DocumentKinds.SyncState, EntraSyncService.UsersStateId))!.Value;
        Assert.Contains("$deltatoken=", usersState.GetProperty("deltaLink").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, usersState.GetProperty("nextLink").ValueKind);

        var status = (await h.Service.GetStatusAsync(SyncHarness.Tenant))!.Value;
        Assert.Equal("Succeeded", status.GetProperty("outcome").GetString());
        Assert.Equal(12, status.GetProperty("counts").GetProperty("users").GetProperty("upserted").GetInt32());
        Assert.False(status.GetProperty("running").GetBoolean());
        Assert.Empty(status.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task SyncTenant_NestedGroup_RecordsMemberGroups()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();

        await h.SyncAsync();

        var all = (await h.BodyAsync(DocumentKinds.Group, "g-all"))!.Value;
        Assert.Equal(["g-finance", "g-sales"], SyncHarness.Strings(all, "memberGroups"));
        Assert.Equal(["u12"], SyncHarness.Strings(all, "memberUsers"));
    }

    [Fact]
    public async Task SyncTenant_SecondRunWithoutChanges_UsesDeltaAndWritesNothing()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Simulator.ResetRequestLog();

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        Assert.Equal("delta", result.Counts[SyncResources.Users].Mode);
        Assert.Equal(0, result.Counts[SyncResources.Users].Upserted);
        Assert.Equal(0, result.Counts[SyncResources.Groups].Upserted);
        Assert.Equal(0, result.Counts[SyncResources.Agents].Upserted);
        Assert.Equal(1, h.Simulator.CountRequests("/users/delta?$deltatoken="));
    }

    [Fact]
    public async Task SyncTenant_MemberAddedAndRemoved_AppliesMembersDelta()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.AddMember("g-finance", "u10");
        h.Directory.RemoveMember("g-finance", "u02");
        h.Directory.AddMember("g-sales", "g-empty");

        var result = await h.SyncAsync();

        Assert.Equal("delta", result.Counts[SyncResources.Groups].Mode);
        Assert.Equal(2, result.Counts[SyncResources.Groups].Upserted);
        var finance = (await h.BodyAsync(DocumentKinds.Group, "g-finance"))!.Value;
        Assert.Equal(["u04", "u06", "u08", "u10"], SyncHarness.Strings(finance, "memberUsers"));
        var sales = (await h.BodyAsync(DocumentKinds.Group, "g-sales"))!.Value;
        Assert.Equal(["g-empty"], SyncHarness.Strings(sales, "memberGroups"));
        Assert.Equal(["u01", "u03", "u05"], SyncHarness.Strings(sales, "memberUsers"));
    }

    [Fact]
    public async Task SyncTenant_DisabledUser_EnabledFalse()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.DisableUser("u03");
        h.Directory.UpdateUser("u04", department: "Legal");

        var result = await h.SyncAsync();

        Assert.Equal(2, result.Counts[SyncResources.Users].Upserted);
        Assert.False((await h.BodyAsync(DocumentKinds.User, "u03"))!.Value.GetProperty("enabled").GetBoolean());
        Assert.Equal("Legal", (await h.BodyAsync(DocumentKinds.User, "u04"))!.Value.GetProperty("attributes").GetProperty("department").GetString());
    }

    [Fact]
    public async Task SyncTenant_RemovedUser_TombstonedAndLeavesGroups()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.RemoveUser("u04");

        await h.SyncAsync();

        Assert.True(await h.IsTombstoneAsync(DocumentKinds.User, "u04"));
        var finance = (await h.BodyAsync(DocumentKinds.Group, "g-finance"))!.Value;
        Assert.DoesNotContain("u04", SyncHarness.Strings(finance, "memberUsers"));
    }

    [Fact]
    public async Task SyncTenant_DeletedGroup_TombstonedAndRemovedFromParents()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.DeleteGroup("g-sales");

        var result = await h.SyncAsync();

        Assert.Equal(1, result.Counts[SyncResources.Groups].Deleted);
        Assert.True(await h.IsTombstoneAsync(DocumentKinds.Group, "g-sales"));
        var all = (await h.BodyAsync(DocumentKinds.Group, "g-all"))!.Value;
        Assert.Equal(["g-finance"], SyncHarness.Strings(all, "memberGroups"));
    }

    [Fact]
    public async Task SyncTenant_LargeGroupSlicedAcrossPages_MergesAllMembers()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Simulator.MemberSliceSize = 7;
        var ids = Enumerable.Range(0, 60).Select(i => $"m{i:000}").ToList();
        foreach (var id in ids)
        {
            h.Directory.AddUser(id);
        }

        h.Directory.AddGroup("g-a", "A");
        h.Directory.AddGroup("g-big", "Big", ids);
        h.Directory.AddGroup("g-z", "Z", ["m001"]);

        var result = await h.SyncAsync();

        Assert.True(result.Counts[SyncResources.Groups].Pages >= 2, "60 members in slices of 7, 5 entries per page");
        var big = (await h.BodyAsync(DocumentKinds.Group, "g-big"))!.Value;
        Assert.Equal(ids, SyncHarness.Strings(big, "memberUsers"));
        Assert.Equal("Big", big.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task SyncTenant_AgentChanges_NewDisabledRemovedAndSponsorChange()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.AddAgent("a-5", "New agent", "bp-3", tags: ["new"], owners: ["u09"], sponsors: ["u09"]);
        h.Directory.DisableAgent("a-3");
        h.Directory.RemoveAgent("a-4");
        h.Directory.SetSponsors("a-1", "u10", "u11");

        var result = await h.SyncAsync();

        var counts = result.Counts[SyncResources.Agents];
        Assert.Equal(3, counts.Upserted);
        Assert.Equal(1, counts.Disabled);
        var added = (await h.BodyAsync(DocumentKinds.Agent, "a-5"))!.Value;
        Assert.True(added.GetProperty("enabled").GetBoolean());
        Assert.Equal("u09", added.GetProperty("owner").GetString());
        Assert.False((await h.BodyAsync(DocumentKinds.Agent, "a-3"))!.Value.GetProperty("enabled").GetBoolean());
        var removed = (await h.BodyAsync(DocumentKinds.Agent, "a-4"))!.Value;
        Assert.False(removed.GetProperty("enabled").GetBoolean());
        Assert.True(removed.GetProperty("attributes").GetProperty("entraRemoved").GetBoolean());
        Assert.Equal(["u10", "u11"], SyncHarness.Strings((await h.BodyAsync(DocumentKinds.Agent, "a-1"))!.Value, "sponsors"));
    }

    [Fact]
    public async Task SyncTenant_AgentWithArbiterFields_KeepsSuspendedAndAdminTags()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        // An admin suspends a-2 and adds a tag of their own.
        var doc = (await h.Store.GetAsync(SyncHarness.Tenant, DocumentKinds.Agent, "a-2"))!;
        var body = System.Text.Json.Nodes.JsonNode.Parse(doc.Body.GetRawText())!.AsObject();
        body["suspended"] = true;
        body["tags"]!.AsArray().Add("pci");
        await h.Store.PutAsync(SyncHarness.Tenant, DocumentKinds.Agent, "a-2", System.Text.Json.JsonSerializer.SerializeToElement(body), doc.ETag);
        h.Directory.SetAgentTags("a-2", "sales", "emea");

        await h.SyncAsync();

        var agent = (await h.BodyAsync(DocumentKinds.Agent, "a-2"))!.Value;
        Assert.True(agent.GetProperty("suspended").GetBoolean());
        Assert.Equal(["emea", "pci", "sales"], SyncHarness.Strings(agent, "tags"));
        Assert.Equal(["emea", "sales"], SyncHarness.Strings(agent, "entraTags"));
    }

    [Fact]
    public async Task SyncTenant_AdminSuspendsAgentWhileBatchIsWritten_BothChangesKept()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        // The admin's write lands between the sync's batch read and its batch write (a lost race for a-1 only).
        var racing = new RacingStore(h.Store, DocumentKinds.Agent, "a-1", body =>
        {
            body!["suspended"] = true;
            return body;
        });
        var service = h.NewService(racing);
        h.Directory.DisableAgent("a-1");
        h.Directory.SetAgentTags("a-2", "sales");

        var result = await service.SyncTenantAsync(SyncHarness.Tenant);

        SyncHarness.AssertSucceeded(result);
        Assert.Equal(1, racing.Races);
        Assert.Equal(2, result.Counts[SyncResources.Agents].Upserted);
        var agent = (await h.BodyAsync(DocumentKinds.Agent, "a-1"))!.Value;
        Assert.True(agent.GetProperty("suspended").GetBoolean());
        Assert.False(agent.GetProperty("enabled").GetBoolean());
        Assert.Equal(["sales"], SyncHarness.Strings((await h.BodyAsync(DocumentKinds.Agent, "a-2"))!.Value, "tags"));
    }

    [Fact]
    public async Task SyncTenant_UserCreatedElsewhereWhileBatchIsWritten_EntraFieldsMergedIntoIt()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        // Another writer creates u03 between the sync's batch read (nothing there) and its batch write (a create).
        var racing = new RacingStore(h.Store, DocumentKinds.User, "u03", _ => new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = "u03",
            ["attributes"] = new System.Text.Json.Nodes.JsonObject { ["clearance"] = "high" },
        });
        var service = h.NewService(racing);

        var result = await service.SyncTenantAsync(SyncHarness.Tenant);

        SyncHarness.AssertSucceeded(result);
        Assert.Equal(1, racing.Races);
        Assert.Equal(12, result.Counts[SyncResources.Users].Upserted);
        var user = (await h.BodyAsync(DocumentKinds.User, "u03"))!.Value;
        Assert.Equal("User 3", user.GetProperty("displayName").GetString());
        Assert.Equal("high", user.GetProperty("attributes").GetProperty("clearance").GetString());
        Assert.Equal("Sales", user.GetProperty("attributes").GetProperty("department").GetString());
    }

    [Fact]
    public async Task SyncTenant_RemovedAgentReturns_ClearsEntraRemoved()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        h.Directory.RemoveAgent("a-4");
        await h.SyncAsync();
        h.Directory.AddAgent("a-4", "Ops agent", "bp-2", sponsors: ["u07"]);

        await h.SyncAsync();

        var agent = (await h.BodyAsync(DocumentKinds.Agent, "a-4"))!.Value;
        Assert.True(agent.GetProperty("enabled").GetBoolean());
        Assert.False(agent.GetProperty("attributes").TryGetProperty("entraRemoved", out _));
    }

    [Fact]
    public async Task SyncTenant_Throttled429_HonoursRetryAfter()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        h.Simulator.MemberSliceSize = 1;
        h.Simulator.InjectFault(new SimulatorFault(FaultKind.TooManyRequests, Count: 1, PathContains: "/groups/delta", Skip: 1, RetryAfterSeconds: 1));

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        var requests = h.Simulator.Requests.Where(r => r.PathAndQuery.Contains("/groups/delta", StringComparison.Ordinal)).ToList();
        var throttled = requests.FindIndex(r => r.Status == 429);
        Assert.True(throttled > 0, string.Join("\n", h.Simulator.Requests.Select(r => $"{r.Status} {r.PathAndQuery}")));
        Assert.Equal(requests[throttled].PathAndQuery, requests[throttled + 1].PathAndQuery);
        Assert.True(requests[throttled + 1].At - requests[throttled].At >= TimeSpan.FromMilliseconds(950), "the retry waited for Retry-After");
        Assert.Equal(["u02", "u04", "u06", "u08"], SyncHarness.Strings((await h.BodyAsync(DocumentKinds.Group, "g-finance"))!.Value, "memberUsers"));
    }

    [Fact]
    public async Task SyncTenant_ServiceUnavailable503_RetriesAndSucceeds()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        h.Simulator.InjectFault(new SimulatorFault(FaultKind.ServiceUnavailable, Count: 2, PathContains: "/users/delta", RetryAfterSeconds: 0));
        h.Simulator.InjectFault(new SimulatorFault(FaultKind.ServiceUnavailable, Count: 1, PathContains: "agentIdentity", RetryAfterSeconds: 0));

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        Assert.Equal(12, result.Counts[SyncResources.Users].Upserted);
        Assert.Equal(4, result.Counts[SyncResources.Agents].Upserted);
        Assert.Equal(3, h.Simulator.Requests.Count(r => r.Status == 503));
    }

    [Fact]
    public async Task SyncTenant_DeltaTokenGone410_FullResyncRemovesStaleObjects()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        await h.SyncAsync();
        // Something the delta stream will never mention again: a ghost group and a ghost membership.
        await h.Store.PutAsync(SyncHarness.Tenant, DocumentKinds.Group, "g-ghost",
            System.Text.Json.JsonSerializer.SerializeToElement(new { id = "g-ghost", memberUsers = new[] { "u01" }, memberGroups = Array.Empty<string>(), source = "entra" }), null);
        var finance = (await h.Store.GetAsync(SyncHarness.Tenant, DocumentKinds.Group, "g-finance"))!;
        var body = System.Text.Json.Nodes.JsonNode.Parse(finance.Body.GetRawText())!.AsObject();
        body["memberUsers"]!.AsArray().Add("u99");
        await h.Store.PutAsync(SyncHarness.Tenant, DocumentKinds.Group, "g-finance", System.Text.Json.JsonSerializer.SerializeToElement(body), finance.ETag);
        await h.Store.PutAsync(SyncHarness.Tenant, DocumentKinds.Group, "g-local",
            System.Text.Json.JsonSerializer.SerializeToElement(new { id = "g-local", memberUsers = new[] { "u01" }, memberGroups = Array.Empty<string>(), source = "arbiter" }), null);
        h.Directory.DeleteGroup("g-empty");
        h.Simulator.ExpireDeltaTokens();

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        Assert.Equal("resync", result.Counts[SyncResources.Groups].Mode);
        Assert.Equal("resync", result.Counts[SyncResources.Users].Mode);
        Assert.True(await h.IsTombstoneAsync(DocumentKinds.Group, "g-ghost"));
        Assert.True(await h.IsTombstoneAsync(DocumentKinds.Group, "g-empty"));
        Assert.NotNull(await h.BodyAsync(DocumentKinds.Group, "g-local"));
        Assert.Equal(["u02", "u04", "u06", "u08"], SyncHarness.Strings((await h.BodyAsync(DocumentKinds.Group, "g-finance"))!.Value, "memberUsers"));
        Assert.Equal(1, h.Simulator.Requests.Count(r => r.Status == 410 && r.PathAndQuery.Contains("/groups/", StringComparison.Ordinal)));

        var again = await h.SyncAsync();
        Assert.Equal("delta", again.Counts[SyncResources.Groups].Mode);
    }

    [Fact]
    public async Task SyncTenant_ConnectionDroppedMidPage_NothingLostOrDoubled()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        h.Simulator.InjectFault(new SimulatorFault(FaultKind.DropConnection, Count: 1, PathContains: "/groups/delta", Skip: 0));
        h.Simulator.InjectFault(new SimulatorFault(FaultKind.DropConnection, Count: 1, PathContains: "/users/delta", Skip: 1));

        var result = await h.SyncAsync();

        SyncHarness.AssertSucceeded(result);
        Assert.Equal(2, h.Simulator.Requests.Count(r => r.Faulted));
        var clean = h.NewStore();
        await h.NewService(clean).SyncTenantAsync(SyncHarness.Tenant);
        Assert.Equal(await SyncHarness.SnapshotAsync(clean), await SyncHarness.SnapshotAsync(h.Store));
    }

    [Fact]
    public async Task SyncTenant_CancelledAfterPageThenResumed_EqualsCleanSync()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        h.Simulator.MemberSliceSize = 1;
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(p =>
        {
            if (p is { Resource: SyncResources.Groups, Phase: "page", Pages: 1 })
            {
                cts.Cancel();
            }
        });

        var interrupted = await h.SyncAsync(progress, cts.Token);

        Assert.Equal(SyncOutcome.Cancelled, interrupted.Outcome);
        var state = (await h.BodyAsync(DocumentKinds.SyncState, EntraSyncService.GroupsStateId))!.Value;
        Assert.Contains("$skiptoken=", state.GetProperty("nextLink").GetString(), StringComparison.Ordinal);
        var requestsBefore = h.Simulator.RequestCount;

        var resumed = await h.SyncAsync();

        SyncHarness.AssertSucceeded(resumed);
        Assert.Equal("resumed-full", resumed.Counts[SyncResources.Groups].Mode);
        Assert.Equal("delta", resumed.Counts[SyncResources.Users].Mode);
        var firstGroupRequest = h.Simulator.Requests.Skip(requestsBefore).First(r => r.PathAndQuery.Contains("/groups/delta", StringComparison.Ordinal));
        Assert.Equal(state.GetProperty("nextLink").GetString(), h.Simulator.BaseUrl[..^"/v1.0".Length] + firstGroupRequest.PathAndQuery);
        var clean = h.NewStore();
        await h.NewService(clean).SyncTenantAsync(SyncHarness.Tenant);
        Assert.Equal(await SyncHarness.SnapshotAsync(clean), await SyncHarness.SnapshotAsync(h.Store));
    }

    [Fact]
    public async Task SyncAll_OneTenantFails_OtherTenantSucceeds()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        var service = h.NewService(h.Store, o =>
        {
            o.Tenants["good"] = new GraphTenantOptions { BaseUrl = h.Simulator.BaseUrl };
            o.Tenants["bad"] = new GraphTenantOptions { BaseUrl = "http://127.0.0.1:9/v1.0" };
            o.MaxAttempts = 2;
        });

        var results = await service.SyncAllAsync(["bad", "good"]);

        Assert.Equal(SyncOutcome.Failed, results[0].Outcome);
        Assert.Contains(results[0].Errors, e => e.Resource == SyncResources.Users);
        Assert.Equal(SyncOutcome.Succeeded, results[1].Outcome);
        Assert.NotNull(await h.Store.GetAsync("good", DocumentKinds.User, "u01"));
        Assert.Null(await h.Store.GetAsync("bad", DocumentKinds.User, "u01"));
        var badStatus = (await service.GetStatusAsync("bad"))!.Value;
        Assert.Equal("Failed", badStatus.GetProperty("outcome").GetString());
        Assert.NotEmpty(badStatus.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task SyncTenant_RunAlreadyInProgress_SecondCallReportsAlreadyRunning()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        // The first run holds the tenant's lock while Graph keeps its first users page back.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Simulator.HoldNext("/users/delta", entered, release.Task);

        var first = h.SyncAsync();
        await entered.Task;
        var second = await h.SyncAsync();
        release.SetResult();

        Assert.Equal(SyncOutcome.AlreadyRunning, second.Outcome);
        SyncHarness.AssertSucceeded((await first));
    }

    [Fact]
    public async Task SyncTenant_ReportsProgressPerStoredPage()
    {
        await using var h = await SyncHarness.StartAsync();
        h.Seed();
        var reports = new List<SyncProgress>();

        await h.SyncAsync(new InlineProgress(reports.Add));

        Assert.Contains(reports, p => p is { Resource: SyncResources.Users, Phase: "page", Items: 12 });
        Assert.Contains(reports, p => p is { Resource: SyncResources.Agents, Phase: "completed" });
    }
}
