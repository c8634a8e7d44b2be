using Arbiter.Api.Security;
using Arbiter.Governance;
using Arbiter.Governance.Reviews;
using Arbiter.Runtime.Agents;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using static Arbiter.Review.ReviewHtml;

namespace Arbiter.Review;

/// <summary>
/// The reviewer page's handlers. A reviewer sees and decides only the tasks that list them (admins: all); any other
/// task id answers 404, exactly like one that does not exist. Every post is checked against its anti-forgery token
/// and its size first; decisions go through <see cref="ReviewActions"/> (task ETag, history, audit record, recheck).
/// </summary>
public sealed class ReviewHandlers(
    AgentReviews reviews,
    ReviewActions actions,
    GovernanceQueries queries,
    AgentKillSwitch killSwitch,
    IAntiforgery antiforgery,
    IOptions<ReviewOptions> options,
    IOptions<AuthOptions> auth,
    TimeProvider time)
{
    /// <summary>Largest form a page posts (a justification and two small fields); more is refused before it is read.</summary>
    public const int MaxFormBytes = 16 * 1024;

    private bool Development => auth.Value.Mode == AuthMode.Development;

    public async Task<IResult> SignInPageAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var returnUrl = LocalReturnPath(context.Request.Query["returnUrl"]);
        if (!Development)
            return Page(context, "Sign in", null, ReviewPages.SignIn(context, Engine.Snapshots.TenantState.Empty, "", returnUrl, development: false));
        var tenant = auth.Value.DevelopmentTenant!;
        var snapshot = await reviews.SnapshotAsync(tenant, cancellationToken);
        return Page(context, "Sign in", null, ReviewPages.SignIn(context, snapshot.State, tenant, returnUrl, development: true));
    }

    /// <summary>Development mode only: signs in the chosen directory user (or the development admin).</summary>
    public async Task<IResult> SignInAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!Development)
            return Problem(context, null, StatusCodes.Status404NotFound, "Not found", "choosing a user is only possible in Development mode; sign in with Entra ID");
        if (await ReadFormAsync(context, null, cancellationToken) is { Problem: { } refused })
            return refused;
        var form = context.Request.Form;
        var tenant = auth.Value.DevelopmentTenant!;
        var userId = form["user"].ToString();
        Reviewer reviewer;
        if (userId == ReviewPages.DevelopmentAdmin)
            reviewer = new Reviewer(tenant, userId, "Development admin", Admin: true);
        else
        {
            var snapshot = await reviews.SnapshotAsync(tenant, cancellationToken);
            if (userId.Length == 0 || !snapshot.State.Users.TryGetValue(userId, out var user) || !user.Enabled)
                return Problem(context, null, StatusCodes.Status400BadRequest, "Sign-in refused", "user: choose an enabled user of the demo tenant", "user");
            reviewer = new Reviewer(tenant, user.Id, user.DisplayName ?? user.Id, options.Value.Admins.Contains(user.Id, StringComparer.Ordinal));
        }
        await context.SignInAsync(ReviewAuthentication.Scheme, reviewer.ToPrincipal(ReviewAuthentication.Scheme));
        return SeeOther(LocalReturnPath(form["returnUrl"]));
    }

    public async Task<IResult> SignOutAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        if (await ReadFormAsync(context, reviewer, cancellationToken) is { Problem: { } refused })
            return refused;
        await context.SignOutAsync(ReviewAuthentication.Scheme);
        return SeeOther(Base + "/signin");
    }

    public async Task<IResult> MyReviewsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        var pending = await reviews.PendingForAsync(reviewer.TenantId, reviewer.Id, reviewer.Admin, cancellationToken);
        return Page(context, "My reviews", reviewer, ReviewPages.MyReviews(pending, time.GetUtcNow(), reviewer.Admin));
    }

    public async Task<IResult> TaskAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        var review = await reviews.GetAsync(reviewer.TenantId, id, reviewer.Id, reviewer.Admin, cancellationToken);
        if (review is null)
            return NotFound(context, reviewer, id);
        var done = context.Request.Query["done"].ToString() is { Length: > 0 } d ? d : null;
        return Page(context, $"Review of {review.Task.AgentName ?? review.Task.AgentId}", reviewer,
            ReviewPages.Task(context, review, time.GetUtcNow(), done, options.Value.MaxJustification));
    }

    public async Task<IResult> ConfirmRevokeAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        var review = await reviews.GetAsync(reviewer.TenantId, id, reviewer.Id, reviewer.Admin, cancellationToken);
        if (review is null)
            return NotFound(context, reviewer, id);
        if (review.Task.State != ReviewStates.Open)
            return SeeOther(Link("tasks", id));
        return Page(context, $"Confirm revoke for {review.Task.AgentName ?? review.Task.AgentId}", reviewer, ReviewPages.ConfirmRevoke(context, review, options.Value.MaxJustification));
    }

    /// <summary>POST approve | revoke (needs <c>confirm=yes</c> from the confirmation page) | suspend, with a justification.</summary>
    public async Task<IResult> DecideAsync(HttpContext context, string id, string decision, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        if (decision is not ("approve" or "revoke" or "suspend"))
            return NotFound(context, reviewer, id);
        var read = await ReadFormAsync(context, reviewer, cancellationToken);
        if (read.Problem is { } refused)
            return refused;
        var task = await queries.GetTaskAsync(reviewer.TenantId, id, cancellationToken);
        if (task is null || !AgentReviews.MayReview(task, reviewer.Id, reviewer.Admin))
            return NotFound(context, reviewer, id);
        if (decision == "revoke" && context.Request.Form["confirm"] != "yes")
            return Problem(context, reviewer, StatusCodes.Status400BadRequest, "Not confirmed", "confirm: revoke from the confirmation page, which shows what is removed", "confirm");
        var justification = Justification(context, reviewer);
        if (justification.Problem is { } bad)
            return bad;
        // The history entry records who acted; its note is the reviewer's own words.
        var comment = justification.Text;
        var result = decision switch
        {
            "approve" => await actions.ApproveAsync(reviewer.TenantId, id, reviewer.Id, comment, cancellationToken),
            "revoke" => await actions.RevokeAsync(reviewer.TenantId, id, reviewer.Id, comment, cancellationToken),
            _ => await actions.SuspendAsync(reviewer.TenantId, id, reviewer.Id, comment, cancellationToken),
        };
        return result.Status switch
        {
            ReviewActionStatus.Done => SeeOther(Link("tasks", id) + "?done=" + decision),
            ReviewActionStatus.NotFound => NotFound(context, reviewer, id),
            _ => Problem(context, reviewer, StatusCodes.Status409Conflict, "Already decided", result.Detail),
        };
    }

    public async Task<IResult> AgentsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        if (!reviewer.Admin)
            return Problem(context, reviewer, StatusCodes.Status404NotFound, "Not found", "the agent list is for admins");
        var q = context.Request.Query["q"].ToString().Trim();
        if (q.Length > 100)
            return Problem(context, reviewer, StatusCodes.Status400BadRequest, "Search too long", "q: at most 100 characters", "q");
        var snapshot = await reviews.SnapshotAsync(reviewer.TenantId, cancellationToken);
        var open = (await queries.ListTasksAsync(reviewer.TenantId, new TaskFilter(State: ReviewStates.Open, Limit: 1000), cancellationToken))
            .GroupBy(t => t.AgentId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var changed = context.Request.Query["changed"].ToString() is { Length: > 0 } c ? c : null;
        return Page(context, "Agents", reviewer, ReviewPages.Agents(context, snapshot.State, open, q.Length == 0 ? null : q, changed));
    }

    public async Task<IResult> ConfirmKillSwitchAsync(HttpContext context, string id, string action, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        if (!reviewer.Admin || action is not ("suspend" or "resume"))
            return Problem(context, reviewer, StatusCodes.Status404NotFound, "Not found", "no such page");
        var snapshot = await reviews.SnapshotAsync(reviewer.TenantId, cancellationToken);
        if (!snapshot.State.Agents.TryGetValue(id, out var agent))
            return Problem(context, reviewer, StatusCodes.Status404NotFound, "Not found", $"agent '{id}' does not exist");
        return Page(context, action == "suspend" ? $"Suspend {agent.Id}" : $"Resume {agent.Id}", reviewer,
            ReviewPages.ConfirmKillSwitch(context, agent, action == "suspend", options.Value.MaxJustification));
    }

    public async Task<IResult> KillSwitchAsync(HttpContext context, string id, string action, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer.Of(context);
        if (!reviewer.Admin || action is not ("suspend" or "resume"))
            return Problem(context, reviewer, StatusCodes.Status404NotFound, "Not found", "no such page");
        if (await ReadFormAsync(context, reviewer, cancellationToken) is { Problem: { } refused })
            return refused;
        if (context.Request.Form["confirm"] != "yes")
            return Problem(context, reviewer, StatusCodes.Status400BadRequest, "Not confirmed", "confirm: use the confirmation page", "confirm");
        var justification = Justification(context, reviewer);
        if (justification.Problem is { } bad)
            return bad;
        var result = await killSwitch.SetSuspendedAsync(reviewer.TenantId, id, action == "suspend", reviewer.Id,
            $"{action} from the reviewer page: {justification.Text}", "review", cancellationToken);
        return result.Outcome switch
        {
            KillSwitchOutcome.Done => SeeOther(Base + "/agents?changed=" + Uri.EscapeDataString(id)),
            KillSwitchOutcome.NotFound => Problem(context, reviewer, StatusCodes.Status404NotFound, "Not found", $"agent '{id}' does not exist"),
            _ => Problem(context, reviewer, StatusCodes.Status409Conflict, "Try again", $"agent '{id}' kept changing; nothing was done"),
        };
    }

    private static IResult NotFound(HttpContext context, Reviewer reviewer, string id) =>
        Problem(context, reviewer, StatusCodes.Status404NotFound, "Review not found", $"there is no review '{id}' assigned to you");

    private readonly record struct FormRead(IResult? Problem);

    /// <summary>Refuses a form that is too large, not a form, or fails the anti-forgery check; otherwise the form is read and cached on the request.</summary>
    private async Task<FormRead> ReadFormAsync(HttpContext context, Reviewer? reviewer, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength is null or > MaxFormBytes)
            return new(Problem(context, reviewer, StatusCodes.Status413PayloadTooLarge, "Form too large", $"a form may carry at most {MaxFormBytes} bytes, with a length"));
        if (!context.Request.HasFormContentType)
            return new(Problem(context, reviewer, StatusCodes.Status400BadRequest, "Not a form", "the request must be a form post", "content-type"));
        try
        {
            await context.Request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            return new(Problem(context, reviewer, StatusCodes.Status400BadRequest, "Unreadable form", "the form could not be read: " + e.Message, "body"));
        }
        if (!await antiforgery.IsRequestValidAsync(context))
            return new(Problem(context, reviewer, StatusCodes.Status400BadRequest, "Form expired", "__RequestVerificationToken: the anti-forgery token is missing or invalid; reload the page and try again", "__RequestVerificationToken"));
        return new(null);
    }

    private readonly record struct JustificationRead(string Text, IResult? Problem);

    private JustificationRead Justification(HttpContext context, Reviewer reviewer)
    {
        var text = context.Request.Form["justification"].ToString().Trim();
        if (text.Length == 0)
            return new("", Problem(context, reviewer, StatusCodes.Status400BadRequest, "Justification required", "justification: say why (it goes into the audit record)", "justification"));
        if (text.Length > options.Value.MaxJustification)
            return new("", Problem(context, reviewer, StatusCodes.Status400BadRequest, "Justification too long", $"justification: at most {options.Value.MaxJustification} characters", "justification"));
        return new(text, null);
    }

    /// <summary>Only a path of this area: never another host, never a scheme-relative or backslash trick.</summary>
    public static string LocalReturnPath(string? candidate) =>
        candidate is { Length: > 0 and <= 512 } c && (c == Base || c.StartsWith(Base + "/", StringComparison.Ordinal)) && !c.Contains("//", StringComparison.Ordinal)
            && !c.Contains('\\', StringComparison.Ordinal) && c.All(ch => ch > ' ' && ch < 127)
            ? c
            : Base + "/";
}
