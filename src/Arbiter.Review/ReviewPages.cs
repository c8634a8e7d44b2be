using System.Text;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance;
using Arbiter.Governance.Reviews;
using Microsoft.AspNetCore.Http;
using static Arbiter.Review.ReviewHtml;

namespace Arbiter.Review;

/// <summary>The bodies of the reviewer pages, rendered from governance records (every data value encoded).</summary>
public static class ReviewPages
{
    public const string DevelopmentAdmin = "dev-admin";

    public static string SignIn(HttpContext context, TenantState state, string tenant, string returnUrl, bool development)
    {
        if (!development)
        {
            return "<p>Sign in with your organisation's Microsoft Entra ID account.</p>"
                + $"<p><a class=\"button\" id=\"entra\" href=\"{Base}/signin/entra?returnUrl={Uri.EscapeDataString(returnUrl)}\">Sign in with Microsoft Entra ID</a></p>";
        }
        var options = new StringBuilder();
        foreach (var user in state.Users.Values.Where(u => u.Enabled).OrderBy(u => u.DisplayName ?? u.Id, StringComparer.Ordinal))
            options.Append($"<option value=\"{E(user.Id)}\">{E(user.DisplayName ?? user.Id)} — {E(user.Id)}</option>");
        options.Append($"<option value=\"{DevelopmentAdmin}\">Development admin — every review, agents, kill switch</option>");
        return $"<p class=\"warn\">Development mode: no password, choose a demo user of tenant <strong>{E(tenant)}</strong>. Only on loopback.</p>"
            + $"<form method=\"post\" action=\"{Base}/signin\" class=\"panel\">{Token(context)}"
            + $"<input type=\"hidden\" name=\"returnUrl\" value=\"{E(returnUrl)}\">"
            + $"<label for=\"user\">Sign in as</label><select id=\"user\" name=\"user\" required>{options}</select>"
            + "<button type=\"submit\">Sign in</button></form>";
    }

    public static string MyReviews(IReadOnlyList<ReviewTaskRecord> tasks, DateTimeOffset now, bool admin)
    {
        if (tasks.Count == 0)
            return "<p class=\"notice\" role=\"status\">No reviews are waiting for you.</p>";
        var rows = new StringBuilder();
        foreach (var task in tasks)
        {
            var overdue = task.DueAt < now;
            var d = task.Diff;
            var summary = $"+{d.AddedTools.Count + d.AddedServers.Count + d.AddedData.Count + d.AddedGroups.Count} / -{d.RemovedTools.Count + d.RemovedServers.Count + d.RemovedData.Count + d.RemovedGroups.Count}";
            rows.Append(overdue ? "<tr class=\"overdue\">" : "<tr>")
                .Append($"<td data-label=\"Due\">{Day(task.DueAt)}{(overdue ? " <span class=\"tag\">overdue</span>" : "")}</td>")
                .Append($"<td data-label=\"Agent\"><a href=\"{Link("tasks", task.Id)}\">Review {E(task.AgentName ?? task.AgentId)}</a> <span class=\"muted\">({E(task.AgentId)})</span></td>")
                .Append($"<td data-label=\"Reason\">{E(task.Reason)}</td>")
                .Append($"<td data-label=\"Findings\">{task.Findings.Count}</td>")
                .Append($"<td data-label=\"Changes\">{E(summary)}</td>")
                .Append($"<td data-label=\"Reviewers\">{E(string.Join(", ", task.Reviewers))}</td></tr>");
        }
        return $"<p>{(admin ? "Every open review of the tenant" : "Reviews assigned to you")}, overdue first.</p>"
            + "<table><caption class=\"muted\">Pending reviews</caption><thead><tr><th scope=\"col\">Due</th><th scope=\"col\">Agent</th><th scope=\"col\">Reason</th><th scope=\"col\">Findings</th><th scope=\"col\">Changes (added / removed)</th><th scope=\"col\">Reviewers</th></tr></thead><tbody id=\"pending\">"
            + rows + "</tbody></table>";
    }

    public static string Task(HttpContext context, AgentReview review, DateTimeOffset now, string? done, int maxJustification)
    {
        var task = review.Task;
        var html = new StringBuilder();
        if (task.State != ReviewStates.Open)
        {
            var result = task.History.LastOrDefault(h => h.Action is "result" or "approve" or "revoke" or "suspend");
            html.Append($"<p class=\"notice\" role=\"status\" id=\"outcome\">This review is <strong>{E(task.State)}</strong>: closed by {E(task.ClosedBy)} at {When(task.ClosedAt)}. {E(result?.Note)}</p>");
        }
        else if (done is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\">The decision did not close the review; see its history below.</p>");
        }
        var overdue = task.State == ReviewStates.Open && task.DueAt < now;
        html.Append("<section aria-labelledby=\"who\"><h2 id=\"who\">Who answers for it</h2><ul class=\"plain\">")
            .Append($"<li>Agent: <strong>{E(task.AgentName ?? task.AgentId)}</strong> ({E(task.AgentId)}){(review.Now is { Active: false } ? " — <span class=\"tag\">suspended or disabled</span>" : "")}</li>")
            .Append($"<li>Owner: {Person(review.Now?.Owner?.Id ?? task.Owner, review.Now?.Owner?.State)}</li>")
            .Append($"<li>Sponsors: {(review.Now is { Sponsors.Count: > 0 } n ? string.Join(", ", n.Sponsors.Select(s => Person(s.Id, s.State))) : "none")}</li>")
            .Append($"<li>Reviewers of this task: {E(string.Join(", ", task.Reviewers))}</li>")
            .Append($"<li>Opened {When(task.OpenedAt)} ({E(task.Reason)}); due <span{(overdue ? " class=\"overdue\"" : "")}>{When(task.DueAt)}{(overdue ? " — overdue" : "")}</span></li>")
            .Append($"<li>Certified baseline: {(review.Baseline is { } b ? $"by {E(b.ApprovedBy)} at {When(b.ApprovedAt)} ({E(b.Reason)})" : "none")}</li></ul></section>");

        html.Append("<section aria-labelledby=\"reach\"><h2 id=\"reach\">What it can reach, against its certified baseline</h2>");
        if (review.Reach.Count == 0)
            html.Append("<p>No tools, servers or data, now or at the baseline.</p>");
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Resource</th><th scope=\"col\">Level</th><th scope=\"col\">Since the baseline</th><th scope=\"col\">Granted by</th>")
                .Append($"<th scope=\"col\">Last used (last {review.UsageDays} days)</th></tr></thead><tbody id=\"reach-rows\">");
            foreach (var item in review.Reach)
            {
                var used = item.Change == ReachChange.Removed ? "—"
                    : item.LastUsed is { } at ? When(at)
                    : $"<span class=\"tag warn\">never used in {review.UsageDays} days</span>";
                html.Append($"<tr class=\"{item.Change}\" data-resource=\"{E(item.Id)}\">")
                    .Append($"<td data-label=\"Kind\">{E(item.Kind)}</td>")
                    .Append($"<td data-label=\"Resource\"><strong>{E(item.Id)}</strong>{(item.DisplayName is null ? "" : $" <span>{E(item.DisplayName)}</span>")}</td>")
                    .Append($"<td data-label=\"Level\">{E(item.Level)}</td>")
                    .Append($"<td data-label=\"Since the baseline\">{ChangeTag(item.Change)}</td>")
                    .Append($"<td data-label=\"Granted by\">{(item.Policies.Count > 0 ? E(string.Join(", ", item.Policies)) : item.Change == ReachChange.Removed ? "—" : "through its users' grants or its tools")}</td>")
                    .Append($"<td data-label=\"Last used\">{used}</td></tr>");
            }
            html.Append("</tbody></table>");
        }
        if (review.Diff is { } diff && (diff.Sensitivity is not null || diff.Classification is not null || diff.AnyUserMayInvokeAdded))
        {
            html.Append("<ul>");
            if (diff.Sensitivity is { } s)
                html.Append($"<li class=\"added\">Highest tool sensitivity: {E(s.From ?? "none")} → <strong>{E(s.To ?? "none")}</strong></li>");
            if (diff.Classification is { } c)
                html.Append($"<li class=\"added\">Highest data classification: {E(c.From ?? "none")} → <strong>{E(c.To ?? "none")}</strong></li>");
            if (diff.AnyUserMayInvokeAdded)
                html.Append("<li class=\"added\">Any authenticated user may now invoke it</li>");
            html.Append("</ul>");
        }
        html.Append("</section><section aria-labelledby=\"groups\"><h2 id=\"groups\">Who may invoke it</h2>");
        if (review.Groups.Count == 0)
            html.Append("<p>No group may invoke it.</p>");
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Since the baseline</th><th scope=\"col\">Through policies</th></tr></thead><tbody>");
            foreach (var g in review.Groups)
                html.Append($"<tr class=\"{g.Change}\"><td data-label=\"Group\"><strong>{E(g.Id)}</strong> {E(g.DisplayName)}</td><td data-label=\"Since the baseline\">{ChangeTag(g.Change)}</td><td data-label=\"Through policies\">{E(string.Join(", ", g.Policies))}</td></tr>");
            html.Append("</tbody></table>");
        }
        if (review.Now is { } current)
            html.Append($"<p class=\"muted\">{current.InvokingUsers} user(s) may invoke it now{(current.AnyUserMayInvoke ? "; any authenticated user may" : "")}.</p>");

        html.Append("</section><section aria-labelledby=\"findings\"><h2 id=\"findings\">Findings that opened this review</h2>");
        if (review.Findings.Count == 0)
            html.Append("<p>None (a periodic recertification).</p>");
        else
        {
            html.Append("<ul id=\"finding-list\">");
            foreach (var f in review.Findings)
                html.Append($"<li><span class=\"tag\">{E(f.Severity)}</span> <strong>{E(f.Kind)}</strong> {E(f.Subject)}: {E(f.Detail)} <span class=\"muted\">({E(f.State)}, first seen {When(f.FirstSeen)})</span></li>");
            html.Append("</ul>");
        }
        html.Append("</section>");

        if (task.State == ReviewStates.Open)
        {
            var token = Token(context);
            html.Append("<section aria-labelledby=\"decide\"><h2 id=\"decide\">Decide</h2><div class=\"decide\">")
                .Append($"<form method=\"post\" action=\"{Link("tasks", task.Id, "approve")}\">{token}<h3>Approve</h3><p>Certify what it can reach now as its new baseline.</p>")
                .Append(Justification("approve", maxJustification)).Append("<button type=\"submit\">Approve as the new baseline</button></form>")
                .Append($"<form method=\"get\" action=\"{Link("tasks", task.Id, "revoke")}\"><h3>Revoke</h3><p>Take back what it gained since the baseline. You see exactly what is removed before confirming.</p>")
                .Append("<button type=\"submit\" class=\"danger\">Revoke…</button></form>")
                .Append($"<form method=\"post\" action=\"{Link("tasks", task.Id, "suspend")}\">{token}<h3>Suspend</h3><p>Deny every decision for this agent until an admin resumes it.</p>")
                .Append(Justification("suspend", maxJustification)).Append("<button type=\"submit\" class=\"danger\">Suspend the agent</button></form>")
                .Append("</div></section>");
        }
        html.Append("<section aria-labelledby=\"history\"><h2 id=\"history\">History</h2><ol id=\"history-list\">");
        foreach (var h in task.History)
            html.Append($"<li>{When(h.At)} — <strong>{E(h.Action)}</strong> by {E(h.By)}: {E(h.Note)}</li>");
        html.Append("</ol></section>");
        return html.ToString();
    }

    public static string ConfirmRevoke(HttpContext context, AgentReview review, int maxJustification)
    {
        var task = review.Task;
        var plan = review.Revoke;
        var html = new StringBuilder();
        html.Append($"<p>You are revoking for <strong>{E(task.AgentName ?? task.AgentId)}</strong> ({E(task.AgentId)}). This is what will change:</p><ul id=\"revoke-plan\">");
        if (plan.SuspendsAgent)
            html.Append("<li class=\"removed\">The agent is <strong>suspended</strong>: every decision for it is denied until an admin resumes it.</li>");
        foreach (var id in plan.RemovedReach)
            html.Append($"<li class=\"removed\">Removed: <strong>{E(id)}</strong></li>");
        foreach (var id in plan.DisabledPolicies)
            html.Append($"<li class=\"removed\">Policy <strong>{E(id)}</strong> is disabled (it grants this agent alone, only what was added)</li>");
        foreach (var id in plan.ForbiddenResources)
            html.Append($"<li class=\"removed\">A forbid policy denies this agent <strong>{E(id)}</strong> (it comes from a shared grant)</li>");
        foreach (var id in plan.ForbiddenGroups)
            html.Append($"<li class=\"removed\">Members of group <strong>{E(id)}</strong> may no longer invoke it</li>");
        html.Append("</ul>");
        if (plan.Note is not null)
            html.Append($"<p class=\"warn\">{E(plan.Note)}</p>");
        html.Append("<p>The certified baseline stays as it is.</p>")
            .Append($"<form method=\"post\" action=\"{Link("tasks", task.Id, "revoke")}\" class=\"panel\">{Token(context)}<input type=\"hidden\" name=\"confirm\" value=\"yes\">")
            .Append(Justification("revoke", maxJustification))
            .Append($"<button type=\"submit\" class=\"danger\">Confirm revoke</button> <a href=\"{Link("tasks", task.Id)}\">Cancel</a></form>");
        return html.ToString();
    }

    public static string Agents(HttpContext context, TenantState state, IReadOnlyDictionary<string, ReviewTaskRecord> openTasks, string? query, string? changed)
    {
        var html = new StringBuilder();
        html.Append($"<form method=\"get\" action=\"{Base}/agents\" role=\"search\" class=\"panel\"><label for=\"q\">Search agents (id, name, owner, sponsor, tag)</label>")
            .Append($"<input type=\"search\" id=\"q\" name=\"q\" maxlength=\"100\" value=\"{E(query)}\"><button type=\"submit\">Search</button></form>");
        if (changed is not null && state.Agents.TryGetValue(changed, out var c))
            html.Append($"<p class=\"notice\" role=\"status\" id=\"changed\">Agent {E(c.Id)} is now <strong>{(c.Suspended ? "suspended" : "active")}</strong>.</p>");
        var agents = state.Agents.Values
            .Where(a => query is null || Matches(a, query))
            .OrderBy(a => a.Id, StringComparer.Ordinal).Take(200).ToList();
        html.Append("<table><thead><tr><th scope=\"col\">Agent</th><th scope=\"col\">Owner / sponsors</th><th scope=\"col\">State</th><th scope=\"col\">Review</th><th scope=\"col\">Kill switch</th></tr></thead><tbody id=\"agent-rows\">");
        foreach (var a in agents)
        {
            var stateText = !a.Enabled ? "disabled" : a.Suspended ? "suspended" : "active";
            html.Append($"<tr data-agent=\"{E(a.Id)}\"{(a.Active ? "" : " class=\"removed\"")}><td data-label=\"Agent\"><strong>{E(a.Id)}</strong> {E(a.DisplayName)}</td>")
                .Append($"<td data-label=\"Owner / sponsors\">{E(a.Owner ?? "none")} / {E(a.Sponsors.Count > 0 ? string.Join(", ", a.Sponsors) : "none")}</td>")
                .Append($"<td data-label=\"State\" class=\"state\">{stateText}</td>")
                .Append($"<td data-label=\"Review\">{(openTasks.TryGetValue(a.Id, out var t) ? $"<a href=\"{Link("tasks", t.Id)}\">open review, due {Day(t.DueAt)}</a>" : "—")}</td>")
                .Append($"<td data-label=\"Kill switch\"><a href=\"{Link("agents", a.Id, a.Suspended ? "resume" : "suspend")}\">{(a.Suspended ? "Resume…" : "Suspend…")}</a></td></tr>");
        }
        html.Append("</tbody></table>");
        if (agents.Count == 0)
            html.Append("<p>No agent matches.</p>");
        return html.ToString();
    }

    public static string ConfirmKillSwitch(HttpContext context, Engine.Directory.AgentFact agent, bool suspend, int maxJustification) =>
        $"<p>{(suspend ? "Suspend" : "Resume")} <strong>{E(agent.DisplayName ?? agent.Id)}</strong> ({E(agent.Id)})? "
        + (suspend ? "Every decision for it is denied at once, until an admin resumes it." : "Decisions for it follow its policies again.") + "</p>"
        + $"<form method=\"post\" action=\"{Link("agents", agent.Id, suspend ? "suspend" : "resume")}\" class=\"panel\">{Token(context)}<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
        + Justification(suspend ? "suspend" : "resume", maxJustification)
        + $"<button type=\"submit\"{(suspend ? " class=\"danger\"" : "")}>Confirm: {(suspend ? "suspend" : "resume")} {E(agent.Id)}</button> <a href=\"{Base}/agents\">Cancel</a></form>";

    private static bool Matches(Engine.Directory.AgentFact a, string q) =>
        a.Id.Contains(q, StringComparison.OrdinalIgnoreCase)
        || (a.DisplayName?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false)
        || (a.Owner?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false)
        || a.Sponsors.Any(s => s.Contains(q, StringComparison.OrdinalIgnoreCase))
        || a.Tags.Any(t => t.Contains(q, StringComparison.OrdinalIgnoreCase));

    private static string Justification(string action, int max) =>
        $"<label for=\"justification-{action}\">Justification (required)</label><textarea id=\"justification-{action}\" name=\"justification\" required maxlength=\"{max}\" rows=\"3\"></textarea>";

    private static string ChangeTag(string change) => change switch
    {
        ReachChange.Added => "<span class=\"tag\">+ added</span>",
        ReachChange.Removed => "<span class=\"tag\">- removed</span>",
        _ => "certified",
    };

    private static string Person(string? id, string? state) =>
        id is null ? "none" : state is null or Governance.Entitlements.PrincipalState.Active ? E(id) : $"{E(id)} <span class=\"tag warn\">{E(state)}</span>";
}
