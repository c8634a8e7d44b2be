using System.Globalization;
using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Governance;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Arbiter.Governance.Reviews;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Governance;

/// <summary>
/// The governance admin API (app role <see cref="AuthOptions.AdminRole"/>), shared by both hosts. The tenant is the
/// caller's; the reviewer recorded on actions is the caller's id.
/// </summary>
public sealed class GovernanceHandlers(
    GovernanceQueries queries,
    ReviewActions actions,
    DriftDetector detector)
{
    /// <summary>Not "admin": the Functions host reserves that route prefix.</summary>
    public const string Prefix = "manage/v1/governance";

    /// <summary>GET: <c>?agent=&amp;owner=&amp;state=open|resolved&amp;severity=(minimum)&amp;limit=</c>.</summary>
    public const string FindingsRoute = Prefix + "/findings";

    /// <summary>GET: <c>?agent=&amp;owner=(owner or reviewer)&amp;state=&amp;limit=</c>.</summary>
    public const string TasksRoute = Prefix + "/tasks";

    /// <summary>GET one task.</summary>
    public const string TaskRoute = Prefix + "/tasks/{id}";

    /// <summary>POST, optional body <c>{"comment"}</c>.</summary>
    public const string ApproveRoute = Prefix + "/tasks/{id}/approve";

    public const string RevokeRoute = Prefix + "/tasks/{id}/revoke";

    public const string SuspendRoute = Prefix + "/tasks/{id}/suspend";

    /// <summary>POST: consume the change feed now; <c>?full=true</c> rechecks every agent.</summary>
    public const string DriftRunRoute = Prefix + "/drift/run";

    /// <summary>GET: current entitlements, baseline and diff of one agent.</summary>
    public const string EntitlementsRoute = Prefix + "/agents/{id}/entitlements";

    /// <summary>POST: certify the agent's current entitlements as its baseline (registration / explicit approval).</summary>
    public const string CertifyRoute = Prefix + "/agents/{id}/baseline";

    public static readonly IReadOnlyList<(string Method, string Route)> Routes =
    [
        ("GET", FindingsRoute), ("GET", TasksRoute), ("GET", TaskRoute), ("POST", ApproveRoute), ("POST", RevokeRoute),
        ("POST", SuspendRoute), ("POST", DriftRunRoute), ("GET", EntitlementsRoute), ("POST", CertifyRoute),
    ];

    public async Task<IResult> ListFindingsAsync(HttpContext context, Caller caller, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var state = Text(query["state"]);
        if (state is not null && state is not FindingStates.Open and not FindingStates.Resolved)
            return Problems.BadRequest("state must be 'open' or 'resolved'", "state");
        FindingSeverity? severity = null;
        if (Text(query["severity"]) is { } s)
        {
            if (!Enum.TryParse<FindingSeverity>(s, true, out var parsed) || !Enum.IsDefined(parsed))
                return Problems.BadRequest("severity must be one of info, low, medium, high, critical", "severity");
            severity = parsed;
        }
        if (!TryLimit(context, out var limit, out var limitError))
            return limitError!;
        var items = await queries.ListFindingsAsync(caller.TenantId, new FindingFilter(Text(query["agent"]), Text(query["owner"]), state, severity, limit), cancellationToken);
        return TypedResults.Json(new ItemsDto<FindingRecord>(items, items.Count), GovernanceJsonContext.Default.ItemsDtoFindingRecord);
    }

    public async Task<IResult> ListTasksAsync(HttpContext context, Caller caller, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var state = Text(query["state"]);
        if (state is not null && !ReviewStates.All.Contains(state))
            return Problems.BadRequest($"state must be one of {string.Join(", ", ReviewStates.All)}", "state");
        if (!TryLimit(context, out var limit, out var limitError))
            return limitError!;
        var items = await queries.ListTasksAsync(caller.TenantId, new TaskFilter(Text(query["agent"]), Text(query["owner"]), state, limit), cancellationToken);
        return TypedResults.Json(new ItemsDto<ReviewTaskRecord>(items, items.Count), GovernanceJsonContext.Default.ItemsDtoReviewTaskRecord);
    }

    public async Task<IResult> GetTaskAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken)
    {
        var task = await queries.GetTaskAsync(caller.TenantId, id, cancellationToken);
        return task is null ? Problems.NotFound($"review task '{id}' does not exist") : TypedResults.Json(task, GovernanceJsonContext.Default.ReviewTaskRecord);
    }

    public Task<IResult> ApproveTaskAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        ActAsync(context, caller, id, actions.ApproveAsync, cancellationToken);

    public Task<IResult> RevokeTaskAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        ActAsync(context, caller, id, actions.RevokeAsync, cancellationToken);

    public Task<IResult> SuspendTaskAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        ActAsync(context, caller, id, actions.SuspendAsync, cancellationToken);

    public async Task<IResult> RunDriftAsync(HttpContext context, Caller caller, CancellationToken cancellationToken)
    {
        var full = Text(context.Request.Query["full"]) is { } f && bool.TryParse(f, out var b) && b;
        var result = full
            ? await detector.RecheckAsync(caller.TenantId, null, cancellationToken)
            : await detector.RunAsync(caller.TenantId, cancellationToken);
        return TypedResults.Json(DriftRunDto.From(result), GovernanceJsonContext.Default.DriftRunDto);
    }

    public async Task<IResult> GetEntitlementsAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken)
    {
        var result = await queries.GetEntitlementsAsync(caller.TenantId, id, cancellationToken);
        return result is null ? Problems.NotFound($"agent '{id}' is neither known nor certified") : TypedResults.Json(result, GovernanceJsonContext.Default.EntitlementsDto);
    }

    public async Task<IResult> CertifyAgentAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken)
    {
        var baseline = await actions.CertifyAsync(caller.TenantId, id, caller.Id, cancellationToken);
        return baseline is null ? Problems.NotFound($"agent '{id}' does not exist") : TypedResults.Json(baseline, GovernanceJsonContext.Default.BaselineRecord);
    }

    private static async Task<IResult> ActAsync(HttpContext context, Caller caller, string id,
        Func<string, string, string, string?, CancellationToken, Task<ReviewActionResult>> action, CancellationToken cancellationToken)
    {
        string? comment = null;
        // The body is optional here: only a request that sends one has it read (strictly, as every body).
        if (context.Request.ContentLength is > 0 || context.Request.ContentType is not null)
        {
            var input = await JsonInput.ReadAsync(context, cancellationToken);
            if (input.Root.TryGetProperty("comment", out var c))
            {
                if (c.ValueKind != JsonValueKind.String)
                    return Problems.BadRequest("'comment' must be a string", "/comment");
                comment = c.GetString();
            }
        }
        var result = await action(caller.TenantId, id, caller.Id, comment, cancellationToken);
        return result.Status switch
        {
            ReviewActionStatus.Done => TypedResults.Json(result.Task!, GovernanceJsonContext.Default.ReviewTaskRecord),
            ReviewActionStatus.NotFound => Problems.NotFound(result.Detail),
            _ => Problems.Conflict(result.Detail),
        };
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];

    private static bool TryLimit(HttpContext context, out int limit, out IResult? error)
    {
        limit = 100;
        error = null;
        var text = Text(context.Request.Query["limit"]);
        if (text is null)
            return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= 1000)
            return true;
        error = Problems.BadRequest("limit must be between 1 and 1000", "limit");
        return false;
    }
}
