using System.Text.Json;
using System.Text.RegularExpressions;
using Arbiter.Governance;
using Arbiter.Governance.Entitlements;
using Arbiter.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Arbiter.Review.Tests;

/// <summary>
/// The reviewer page clicked through in a real browser against the real server. The demo seed leaves two drifted
/// agents: recon-agent (sponsor carol, owner erin) gained the tool sql-query, general-assistant (owner and sponsor
/// erin) gained hr-policies. Each test uses its own agent or its own tasks, so none depends on another.
/// </summary>
public sealed partial class ReviewPageTests(ReviewSite site) : IClassFixture<ReviewSite>
{
    private static readonly object ReconSqlQuery = new
    {
        subject = new { type = "agent", id = "recon-agent" },
        action = new { name = "tools/call" },
        resource = new { type = "tool", id = "sql-query", properties = new { server = "sql-mcp" } },
    };

    [Fact]
    public async Task Revoke_SponsorConfirmsWithJustification_ToolRemovedAuditedAndNextDecisionDenied()
    {
        Assert.True(await site.DecideAsync(ReconSqlQuery), "the seed's later grant lets recon-agent run sql-query before the review");
        var taskId = await site.TaskIdOfAsync("recon-agent");
        var page = await site.SignInAsync("carol");
        await ReviewSite.ScreenshotAsync(page, "1-my-reviews");

        await page.GetByRole(AriaRole.Link, new() { Name = "Review Ledger reconciliation (backend, agent-only)" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Review of Ledger reconciliation (backend, agent-only)");
        var added = page.Locator("tr[data-resource='sql-query']");
        await Expect(added).ToHaveClassAsync("added");
        await Expect(added).ToContainTextAsync("+ added");
        await Expect(added).ToContainTextAsync("recon-agent-warehouse-sql");
        // Nothing ever called ledger-read; sql-query's last use is this test's own decision (once the log has flushed it).
        await Expect(page.Locator("tr[data-resource='ledger-read']")).ToHaveClassAsync("kept");
        await Expect(page.Locator("tr[data-resource='ledger-read']")).ToContainTextAsync("never used in 90 days");
        await Expect(page.Locator("#finding-list")).ToContainTextAsync("newTool");
        await ReviewSite.ScreenshotAsync(page, "2-agent-review");

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke…" }).ClickAsync();
        var plan = page.Locator("#revoke-plan");
        await Expect(plan).ToContainTextAsync("Removed: sql-query");
        await Expect(plan).ToContainTextAsync("Policy recon-agent-warehouse-sql is disabled");
        await ReviewSite.ScreenshotAsync(page, "3-confirm-revoke");
        await page.GetByLabel("Justification (required)").FillAsync("Reconciliation never needs arbitrary SQL");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm revoke" }).ClickAsync();
        await Expect(page.Locator("#outcome")).ToContainTextAsync("This review is revoked: closed by carol");
        await Expect(page.Locator("#outcome")).ToContainTextAsync("disabled policy 'recon-agent-warehouse-sql'");
        await ReviewSite.ScreenshotAsync(page, "4-revoked");

        var task = await site.GetJsonAsync($"/manage/v1/governance/tasks/{taskId}");
        Assert.Equal("revoked", task.GetProperty("state").GetString());
        Assert.Equal("carol", task.GetProperty("closedBy").GetString());
        Assert.Contains(task.GetProperty("history").EnumerateArray(), h => h.GetProperty("note").GetString()!.Contains("Reconciliation never needs arbitrary SQL", StringComparison.Ordinal));
        var policy = await site.GetJsonAsync("/manage/v1/policies/recon-agent-warehouse-sql");
        Assert.Equal("disabled", policy.GetProperty("body").GetProperty("status").GetString());
        var audit = await AuditAsync();
        Assert.Contains(audit, a => a.GetProperty("by").GetString() == "carol" && a.GetProperty("action").GetString() == "revoke" && a.GetProperty("target").GetString() == taskId);
        Assert.False(await site.DecideAsync(ReconSqlQuery), "after the revoke the next decision for recon-agent via sql-query is a deny");
    }

    [Fact]
    public async Task Approve_OwnerApprovesWithJustification_AddedToolBecomesTheBaseline()
    {
        var page = await site.SignInAsync("erin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Review General assistant" }).ClickAsync();
        await Expect(page.Locator("tr[data-resource='hr-policies']")).ToHaveClassAsync("added");
        await page.Locator("#justification-approve").FillAsync("HR policy search is part of the assistant's job now");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve as the new baseline" }).ClickAsync();
        await Expect(page.Locator("#outcome")).ToContainTextAsync("This review is approved: closed by erin");
        await Expect(page.Locator("tr[data-resource='hr-policies']")).ToHaveClassAsync("kept");
        await ReviewSite.ScreenshotAsync(page, "5-approved");

        var entitlements = await site.GetJsonAsync("/manage/v1/governance/agents/general-assistant/entitlements");
        var baseline = entitlements.GetProperty("baseline");
        Assert.Equal("erin", baseline.GetProperty("approvedBy").GetString());
        Assert.Equal("review", baseline.GetProperty("reason").GetString());
        Assert.Contains("hr-policies", baseline.GetProperty("entitlements").GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Empty(entitlements.GetProperty("diff").GetProperty("addedTools").EnumerateArray());
        Assert.Contains(await AuditAsync(), a => a.GetProperty("by").GetString() == "erin" && a.GetProperty("action").GetString() == "approve");
    }

    [Fact]
    public async Task OthersReview_SponsorOpensOrPostsByUrl_NotFoundAndNothingChanges()
    {
        var taskId = await site.TaskIdOfAsync("general-assistant");
        var before = (await site.GetJsonAsync($"/manage/v1/governance/tasks/{taskId}")).GetProperty("state").GetString();
        var page = await site.SignInAsync("carol");
        var token = await page.Locator("form.signout input[name='__RequestVerificationToken']").GetAttributeAsync("value");

        var response = await page.GotoAsync($"/review/tasks/{taskId}");
        Assert.Equal(404, response!.Status);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("there is no review");
        await Expect(page.Locator("body")).Not.ToContainTextAsync("hr-policies");
        await ReviewSite.ScreenshotAsync(page, "6-not-yours");

        var post = await page.Context.APIRequest.PostAsync($"/review/tasks/{taskId}/approve", new()
        {
            Form = FormOf(page.Context.APIRequest, ("__RequestVerificationToken", token!), ("justification", "not mine to approve")),
        });
        Assert.Equal(404, post.Status);
        Assert.Equal(before, (await site.GetJsonAsync($"/manage/v1/governance/tasks/{taskId}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task MyReviews_OneOverdueOneNot_OverdueListedFirstAndMarked()
    {
        // Bob reviews nothing in the seed: these two tasks are his alone. The overdue one was opened first but due earlier.
        var now = ServerNow();
        var later = await WriteTaskAsync("hr-assistant", "bob", opened: now.AddDays(-1), due: now.AddDays(10));
        var overdue = await WriteTaskAsync("legacy-bot", "bob", opened: now.AddDays(-20), due: now.AddDays(-6));
        var page = await site.SignInAsync("bob");

        var rows = page.Locator("#pending tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveClassAsync("overdue");
        await Expect(rows.Nth(0)).ToContainTextAsync("overdue");
        Assert.Equal($"/review/tasks/{overdue}", await rows.Nth(0).Locator("a").GetAttributeAsync("href"));
        Assert.Equal($"/review/tasks/{later}", await rows.Nth(1).Locator("a").GetAttributeAsync("href"));
        await ReviewSite.ScreenshotAsync(page, "7-overdue-first");
    }

    [Fact]
    public async Task KillSwitch_AdminSuspendsFromAgentList_StateShowsAtOnceAndDecisionsDeny()
    {
        var invoke = new { subject = new { type = "user", id = "alice" }, action = new { name = "agent.invoke" }, resource = new { type = "agent", id = "hr-assistant" } };
        Assert.True(await site.DecideAsync(invoke));
        var page = await site.SignInAsync(Arbiter.Review.ReviewPages.DevelopmentAdmin);
        await page.GetByRole(AriaRole.Link, new() { Name = "Agents" }).ClickAsync();
        await page.GetByLabel("Search agents (id, name, owner, sponsor, tag)").FillAsync("hr-assistant");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var row = page.Locator("tr[data-agent='hr-assistant']");
        await Expect(page.Locator("#agent-rows tr")).ToHaveCountAsync(1);
        await row.GetByRole(AriaRole.Link, new() { Name = "Suspend…" }).ClickAsync();
        await page.GetByLabel("Justification (required)").FillAsync("Investigating an incident");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm: suspend hr-assistant" }).ClickAsync();
        await Expect(page.Locator("#changed")).ToContainTextAsync("Agent hr-assistant is now suspended");
        await Expect(page.Locator("tr[data-agent='hr-assistant'] .state")).ToHaveTextAsync("suspended");
        await ReviewSite.ScreenshotAsync(page, "8-agents-kill-switch");
        Assert.False(await site.DecideAsync(invoke), "a suspended agent is denied at once");

        await page.Locator("tr[data-agent='hr-assistant']").GetByRole(AriaRole.Link, new() { Name = "Resume…" }).ClickAsync();
        await page.GetByLabel("Justification (required)").FillAsync("Incident closed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm: resume hr-assistant" }).ClickAsync();
        await Expect(page.Locator("tr[data-agent='hr-assistant'] .state")).ToHaveTextAsync("active");
        Assert.True(await site.DecideAsync(invoke));
        Assert.Contains(await AuditAsync(), a => a.GetProperty("by").GetString() == Arbiter.Review.ReviewPages.DevelopmentAdmin && a.GetProperty("target").GetString() == "hr-assistant");
    }

    [Fact]
    public async Task Forms_WithoutTokenOrJustificationOrAsNonAdmin_Refused()
    {
        var page = await site.SignInAsync("frank");
        var token = await page.Locator("form.signout input[name='__RequestVerificationToken']").GetAttributeAsync("value");
        var request = page.Context.APIRequest;
        var taskId = await WriteTaskAsync("legacy-bot", "frank", ServerNow(), ServerNow().AddDays(3));

        var noToken = await request.PostAsync($"/review/tasks/{taskId}/suspend", new() { Form = FormOf(request, ("justification", "x")) });
        Assert.Equal(400, noToken.Status);
        Assert.Contains("__RequestVerificationToken", await noToken.TextAsync(), StringComparison.Ordinal);
        var noJustification = await request.PostAsync($"/review/tasks/{taskId}/suspend", new() { Form = FormOf(request, ("__RequestVerificationToken", token!), ("justification", "  ")) });
        Assert.Equal(400, noJustification.Status);
        Assert.Contains("justification", await noJustification.TextAsync(), StringComparison.Ordinal);
        var unconfirmed = await request.PostAsync($"/review/tasks/{taskId}/revoke", new() { Form = FormOf(request, ("__RequestVerificationToken", token!), ("justification", "sure")) });
        Assert.Equal(400, unconfirmed.Status);
        var agents = await request.GetAsync("/review/agents");
        Assert.Equal(404, agents.Status);
        Assert.Equal("open", (await site.GetJsonAsync($"/manage/v1/governance/tasks/{taskId}")).GetProperty("state").GetString());

        // A token rendered for frank does not post for a page signed out (anti-forgery is bound to the user).
        var anonymous = await site.Browser.NewContextAsync(new() { BaseURL = site.BaseAddress.ToString() });
        var signIn = await anonymous.APIRequest.PostAsync("/review/signin", new() { Form = FormOf(anonymous.APIRequest, ("__RequestVerificationToken", token!), ("user", "erin")) });
        Assert.Equal(400, signIn.Status);
        await anonymous.CloseAsync();
    }

    [Fact]
    public async Task ReviewPage_PhoneWidth_NoSidewaysScrollAndEveryFieldLabelled()
    {
        var taskId = await WriteTaskAsync("general-assistant", "alice", ServerNow(), ServerNow().AddDays(7));
        var page = await site.SignInAsync("alice", width: 375, height: 812);
        await page.GotoAsync($"/review/tasks/{taskId}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Review of");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 375 px");
        var unlabelled = await page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('textarea, input:not([type=hidden]), select')].filter(e => !(e.labels && e.labels.length)).length");
        Assert.Equal(0, unlabelled);
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await ReviewSite.ScreenshotAsync(page, "9-phone-width");
    }

    private static IFormData FormOf(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
            form.Set(name, value);
        return form;
    }

    /// <summary>An open review task of this test's own, written as the detector writes one (for the given reviewer).</summary>
    /// <summary>The time on the server's own clock, which is what decides whether a task is overdue.</summary>
    private DateTimeOffset ServerNow() => site.Services.GetRequiredService<TimeProvider>().GetUtcNow();

    private async Task<string> WriteTaskAsync(string agentId, string reviewer, DateTimeOffset opened, DateTimeOffset due)
    {
        var id = $"{ReviewSite.TestTaskPrefix}{agentId}-{Guid.NewGuid():n}";
        var task = new ReviewTaskRecord
        {
            Id = id,
            AgentId = agentId,
            AgentName = agentId,
            Reviewers = [reviewer],
            Reason = "periodic",
            State = ReviewStates.Open,
            OpenedAt = opened,
            DueAt = due,
            Diff = new EntitlementDiff(),
            History = [new ReviewHistoryEntry(opened, "system:governance", "open", "written by the test")],
        };
        var store = site.Services.GetRequiredService<IDocumentStore>();
        await store.PutAsync(ReviewSite.Tenant, DocumentKinds.ReviewTask, id, JsonSerializer.SerializeToElement(task, GovernanceJsonContext.Default.ReviewTaskRecord), null);
        return id;
    }

    private async Task<List<JsonElement>> AuditAsync()
    {
        var store = site.Services.GetRequiredService<IDocumentStore>();
        var result = new List<JsonElement>();
        await foreach (var document in store.ListAllAsync(ReviewSite.Tenant, DocumentKinds.Audit, 500, CancellationToken.None))
            result.Add(document.Body.Clone());
        return result;
    }
}
