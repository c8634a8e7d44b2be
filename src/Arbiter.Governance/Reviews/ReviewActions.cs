using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Arbiter.Runtime.Agents;
using Arbiter.Runtime.Audit;
using Arbiter.Runtime.Policies;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

public enum ReviewActionStatus { Done, NotFound, NotOpen, Conflict }

/// <summary>The outcome of a reviewer action: the closed task, or why nothing was done.</summary>
public sealed record ReviewActionResult(ReviewActionStatus Status, ReviewTaskRecord? Task, string Detail);

/// <summary>
/// What a reviewer (or the overdue sweeper) can do with an open task. Each action first claims the task (state change
/// under its ETag, so two reviewers cannot both act), then acts, records exactly what it did in the task history and an
/// <c>audit</c> document, and rechecks the agent so its findings follow.
/// <list type="bullet">
/// <item><b>approve</b>: the agent's current entitlements become its baseline (approvedBy, approvedAt); its open
/// findings are resolved; state findings (orphaned, expired grant, unused, disabled) are accepted as they are now.</item>
/// <item><b>revoke</b>: takes back the reach beyond the baseline. For each drifted tool, server or data resource, a
/// grant (policy without subjects) that names only this agent by id and covers nothing in the baseline is set to
/// <c>status: disabled</c> (ETag write, recorded as a policy version). Reach granted by shared grants (tags, blueprints,
/// several agents), or by grants that also cover baseline reach, is cut with an explicit forbid for this agent on those
/// resources (policy <c>gov-revoke-{agent}-reach</c>). Groups that newly may invoke the agent (a sync added them, or
/// nested them) are forbidden to invoke it (policy <c>gov-revoke-{agent}-invoke</c>): members who reach the agent through
/// another, certified group are cut too, the safe side; remove the forbid to restore them. An "any authenticated user"
/// invoke grant is disabled when dedicated to the agent; otherwise the history says it could not be narrowed. When
/// nothing in the reach drifted (orphaned, disabled, unused, periodic), revoke suspends the agent. The baseline stays.</item>
/// <item><b>suspend</b>: sets <c>suspended: true</c> on the agent (ETag read-modify-write): every decision for it is
/// denied until an admin resumes it. No review opens for a suspended agent.</item>
/// </list>
/// </summary>
public sealed partial class ReviewActions(
    IDocumentStore store,
    DriftDetector detector,
    EntitlementCalculator calculator,
    IAgentActivity activity,
    PolicyVersions versions,
    AgentKillSwitch killSwitch,
    AuditLog audit,
    IOptions<GovernanceOptions> options,
    TimeProvider time,
    ILogger<ReviewActions> logger)
{
    public const string OverdueActor = "system:overdue";

    private const string Source = "governance";

    public Task<ReviewActionResult> ApproveAsync(string tenantId, string taskId, string actor, string? comment, CancellationToken cancellationToken) =>
        ActAsync(tenantId, taskId, actor, comment, ReviewStates.Approved, overdue: false, cancellationToken);

    public Task<ReviewActionResult> RevokeAsync(string tenantId, string taskId, string actor, string? comment, CancellationToken cancellationToken) =>
        ActAsync(tenantId, taskId, actor, comment, ReviewStates.Revoked, overdue: false, cancellationToken);

    public Task<ReviewActionResult> SuspendAsync(string tenantId, string taskId, string actor, string? comment, CancellationToken cancellationToken) =>
        ActAsync(tenantId, taskId, actor, comment, ReviewStates.Suspended, overdue: false, cancellationToken);

    /// <summary>Applies <see cref="GovernanceOptions.OverdueAction"/> to an overdue task; the task ends <c>expired</c> and its history says what was done.</summary>
    internal Task<ReviewActionResult> ExpireAsync(string tenantId, string taskId, CancellationToken cancellationToken) =>
        ActAsync(tenantId, taskId, OverdueActor, null,
            options.Value.OverdueAction == OverdueAction.Revoke ? ReviewStates.Revoked : ReviewStates.Suspended, overdue: true, cancellationToken);

    /// <summary>Certifies an agent's current entitlements without a task (at registration, from the admin API); closes an open task as approved.</summary>
    public async Task<BaselineRecord?> CertifyAsync(string tenantId, string agentId, string actor, CancellationToken cancellationToken)
    {
        var snapshot = await detector.CurrentSnapshotAsync(tenantId, cancellationToken);
        var baseline = await WriteBaselineAsync(tenantId, snapshot, agentId, actor, BaselineReasons.Admin, null, cancellationToken);
        if (baseline is null)
            return null;
        var open = (await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.ReviewTask, GovernanceJsonContext.Default.ReviewTaskRecord, cancellationToken))
            .Where(t => t.Record.AgentId == agentId && t.Record.State == ReviewStates.Open).ToList();
        foreach (var (_, task) in open)
            await ActAsync(tenantId, task.Id, actor, "certified through the admin API", ReviewStates.Approved, overdue: false, cancellationToken);
        await AuditAsync(tenantId, actor, "certify", DocumentKinds.Baseline, agentId, "current entitlements recorded as the baseline", cancellationToken);
        await detector.RecheckAsync(tenantId, [agentId], cancellationToken);
        return baseline;
    }

    private async Task<ReviewActionResult> ActAsync(string tenantId, string taskId, string actor, string? comment, string outcome, bool overdue, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(tenantId, DocumentKinds.ReviewTask, taskId, cancellationToken: cancellationToken);
        var task = GovernanceDocuments.Read(document, GovernanceJsonContext.Default.ReviewTaskRecord);
        if (task is null)
            return new(ReviewActionStatus.NotFound, null, $"review task '{taskId}' does not exist");
        if (task.State != ReviewStates.Open)
            return new(ReviewActionStatus.NotOpen, task, $"review task '{taskId}' is {task.State}, not open");

        var now = time.GetUtcNow();
        var verb = outcome switch { ReviewStates.Approved => "approve", ReviewStates.Revoked => "revoke", _ => "suspend" };
        var claimed = task with
        {
            State = overdue ? ReviewStates.Expired : outcome,
            ClosedAt = now,
            ClosedBy = actor,
            History = [.. task.History, new ReviewHistoryEntry(now, actor, overdue ? "overdue" : verb,
                overdue ? $"overdue since {task.DueAt:O}: Governance:OverdueAction={options.Value.OverdueAction} applied automatically"
                        : comment ?? $"{verb} requested")],
        };
        try
        {
            document = await store.PutAsync(tenantId, DocumentKinds.ReviewTask, taskId, GovernanceDocuments.ToElement(claimed, GovernanceJsonContext.Default.ReviewTaskRecord), document!.ETag, cancellationToken);
        }
        catch (PreconditionFailedException)
        {
            return new(ReviewActionStatus.Conflict, null, $"review task '{taskId}' changed meanwhile; read it again");
        }

        var snapshot = await detector.CurrentSnapshotAsync(tenantId, cancellationToken);
        var note = outcome switch
        {
            ReviewStates.Approved => await ApproveCoreAsync(tenantId, snapshot, task, actor, cancellationToken),
            ReviewStates.Revoked => await RevokeCoreAsync(tenantId, snapshot, task, actor, cancellationToken),
            _ => await SuspendAgentAsync(tenantId, task.AgentId, actor, cancellationToken),
        };
        var done = claimed with { History = [.. claimed.History, new ReviewHistoryEntry(time.GetUtcNow(), actor, overdue ? verb : "result", note)] };
        await store.PutAsync(tenantId, DocumentKinds.ReviewTask, taskId, GovernanceDocuments.ToElement(done, GovernanceJsonContext.Default.ReviewTaskRecord), document.ETag, cancellationToken);
        if (outcome != ReviewStates.Approved)
            await MarkReviewedAsync(tenantId, task.AgentId, now, cancellationToken);
        await AuditAsync(tenantId, actor, overdue ? "overdue-" + verb : verb, DocumentKinds.ReviewTask, taskId, note, cancellationToken);
        LogAction(logger, tenantId, taskId, task.AgentId, verb, actor);
        await detector.RecheckAsync(tenantId, [task.AgentId], cancellationToken);
        return new(ReviewActionStatus.Done, done, note);
    }

    private async Task<string> ApproveCoreAsync(string tenantId, PolicySnapshot snapshot, ReviewTaskRecord task, string actor, CancellationToken cancellationToken)
    {
        var baseline = await WriteBaselineAsync(tenantId, snapshot, task.AgentId, actor, BaselineReasons.Review, task.Id, cancellationToken);
        if (baseline is null)
            return "approved; the agent no longer exists, so no baseline was recorded";
        var e = baseline.Entitlements;
        return $"approved: new baseline with {e.Tools.Count} tool(s), {e.Servers.Count} server(s), {e.Data.Count} data resource(s), " +
            $"{e.InvokingGroups.Count} invoking group(s); {baseline.AcceptedFindings.Count} state finding(s) accepted; open findings resolved";
    }

    private async Task<BaselineRecord?> WriteBaselineAsync(string tenantId, PolicySnapshot snapshot, string agentId, string actor, string reason, string? taskId, CancellationToken cancellationToken)
    {
        var entitlements = calculator.Compute(snapshot, agentId, options.Value.MaxUserClasses);
        if (entitlements is null)
            return null;
        var now = time.GetUtcNow();
        var lastSeen = options.Value.UnusedDays > 0 ? await activity.LastSeenAsync(tenantId, agentId, cancellationToken) : null;
        var accepted = FindingRules.Evaluate(entitlements, entitlements, lastSeen, now, options.Value)
            .Where(o => FindingKinds.IsStateKind(o.Kind))
            .Select(o => FindingKinds.FindingId(agentId, o.Kind, o.Subject))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var baseline = new BaselineRecord
        {
            AgentId = agentId,
            Entitlements = entitlements,
            ApprovedBy = actor,
            ApprovedAt = now,
            Reason = reason,
            TaskId = taskId,
            LastReviewedAt = now,
            AcceptedFindings = accepted,
        };
        await store.PutAsync(tenantId, DocumentKinds.Baseline, agentId, GovernanceDocuments.ToElement(baseline, GovernanceJsonContext.Default.BaselineRecord), "*", cancellationToken);
        var findings = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.Finding, GovernanceJsonContext.Default.FindingRecord, cancellationToken);
        foreach (var (document, finding) in findings.Where(f => f.Record.AgentId == agentId && f.Record.State == FindingStates.Open))
            await detector.ResolveAsync(tenantId, document, finding, $"approved by {actor}" + (taskId is null ? "" : $" (task {taskId})"), now, cancellationToken);
        return baseline;
    }

    private async Task<string> RevokeCoreAsync(string tenantId, PolicySnapshot snapshot, ReviewTaskRecord task, string actor, CancellationToken cancellationToken)
    {
        var agentId = task.AgentId;
        var baseline = GovernanceDocuments.Read(await store.GetAsync(tenantId, DocumentKinds.Baseline, agentId, cancellationToken: cancellationToken),
            GovernanceJsonContext.Default.BaselineRecord);
        var now = calculator.Compute(snapshot, agentId, options.Value.MaxUserClasses);
        if (now is null)
            return "the agent no longer exists; nothing to revoke";
        // The same plan the review page showed the reviewer before they confirmed.
        var plan = RevokePlan.For(snapshot, agentId, now, baseline?.Entitlements);
        if (plan.SuspendsAgent)
            return await SuspendAgentAsync(tenantId, agentId, actor, cancellationToken) + $" ({plan.Note})";
        var notes = new List<string>();
        if (plan.Note is { } note)
            notes.Add(note + "; suspend the agent or edit that policy");
        var disable = plan.DisabledPolicies;
        var forbid = plan.ForbiddenResources;

        foreach (var policyId in disable)
        {
            if (await DisablePolicyAsync(tenantId, policyId, actor, task.Id, cancellationToken))
                notes.Insert(0, $"disabled policy '{policyId}' (a grant to this agent alone covering only drifted reach)");
            else
                notes.Add($"policy '{policyId}' could not be disabled (it kept changing or is gone)");
        }
        if (forbid.Count > 0)
        {
            var id = await MergeForbidAsync(tenantId, agentId, "reach", "resources", forbid, task.Id, actor, cancellationToken);
            notes.Add($"forbid policy '{id}' now denies this agent {string.Join(", ", forbid)}");
        }
        if (plan.ForbiddenGroups.Count > 0)
        {
            var id = await MergeForbidAsync(tenantId, agentId, "invoke", "groups", plan.ForbiddenGroups, task.Id, actor, cancellationToken);
            notes.Add($"forbid policy '{id}' now denies members of {string.Join(", ", plan.ForbiddenGroups)} invoking this agent");
        }
        return "revoked: " + string.Join("; ", notes) + "; the certified baseline is unchanged";
    }

    private async Task<bool> DisablePolicyAsync(string tenantId, string policyId, string actor, string taskId, CancellationToken cancellationToken)
    {
        var update = await versions.UpdateAsync(tenantId, policyId, current =>
        {
            if (current is null)
                return null;
            var node = JsonNode.Parse(current.Body.GetRawText())!.AsObject();
            node["status"] = "disabled";
            return JsonSerializer.SerializeToElement(node, GovernanceJsonContext.Default.JsonObject);
        }, _ => $"disable (revoked by review task {taskId})", actor, cancellationToken);
        if (!update.Written)
            return false;
        await AuditAsync(tenantId, actor, "disable", DocumentKinds.Policy, policyId, $"revoked by review task {taskId}", cancellationToken);
        return true;
    }

    /// <summary>Creates or extends the agent's governance forbid policy (<c>gov-revoke-{agent}-{suffix}</c>) with more resource ids or groups.</summary>
    private async Task<string> MergeForbidAsync(string tenantId, string agentId, string suffix, string member, IEnumerable<string> values, string taskId, string actor, CancellationToken cancellationToken)
    {
        var id = $"gov-revoke-{SafeId(agentId)}-{suffix}";
        var update = await versions.UpdateAsync(tenantId, id, current =>
        {
            var all = new SortedSet<string>(values, StringComparer.Ordinal);
            if (current is not null && current.Body.TryGetProperty(suffix == "reach" ? "resources" : "subjects", out var selector)
                && selector.TryGetProperty(suffix == "reach" ? "ids" : "groups", out var existing) && existing.ValueKind == JsonValueKind.Array)
            {
                all.UnionWith(existing.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
            var list = new JsonArray([.. all.Select(v => (JsonNode)JsonValue.Create(v))]);
            var policy = new JsonObject
            {
                ["id"] = id,
                ["description"] = suffix == "reach"
                    ? $"Governance: reach of agent '{agentId}' beyond its certified baseline, revoked by review (last: task {taskId})"
                    : $"Governance: groups that newly could invoke agent '{agentId}', revoked by review (last: task {taskId})",
                ["effect"] = "forbid",
                ["agents"] = new JsonObject { ["ids"] = new JsonArray(JsonValue.Create(agentId)) },
                ["metadata"] = new JsonObject { ["createdBy"] = "governance", ["taskId"] = taskId },
            };
            if (suffix == "reach")
            {
                policy["modes"] = new JsonArray("principal", "agentOnly");
                policy["actions"] = new JsonArray(WellKnownActions.ToolsCall, WellKnownActions.ToolsList, WellKnownActions.DataRead, WellKnownActions.ResponseExpose);
                policy["resources"] = new JsonObject { ["ids"] = list };
            }
            else
            {
                policy["modes"] = new JsonArray("principal");
                policy["actions"] = new JsonArray(WellKnownActions.AgentInvoke);
                policy["subjects"] = new JsonObject { ["groups"] = list };
            }
            var body = JsonSerializer.SerializeToElement(policy, GovernanceJsonContext.Default.JsonObject);
            var parsed = PolicyParser.Parse(body);
            if (!parsed.IsValid)
                throw new InvalidOperationException($"governance built an invalid policy '{id}': {parsed.Problems[0].Path} {parsed.Problems[0].Message}");
            return body;
        }, current => current is null ? "create" : "update", actor, cancellationToken);
        if (!update.Written)
            throw new InvalidOperationException($"governance policy '{id}' kept changing; the review action can be repeated");
        await AuditAsync(tenantId, actor, update.Before is null ? "create" : "update", DocumentKinds.Policy, id, $"revoked by review task {taskId}", cancellationToken);
        return id;
    }

    /// <summary>Sets <c>suspended: true</c> with an ETag read-modify-write (retried on a concurrent change).</summary>
    private async Task<string> SuspendAgentAsync(string tenantId, string agentId, string actor, CancellationToken cancellationToken)
    {
        var result = await killSwitch.SetSuspendedAsync(tenantId, agentId, suspended: true, actor, "suspended by review", Source, cancellationToken);
        return result.Outcome switch
        {
            KillSwitchOutcome.Done => "the agent was suspended (suspended: true): every decision for it is denied until an admin resumes it",
            KillSwitchOutcome.NotFound => "the agent no longer exists; nothing to suspend",
            _ => "the agent kept changing and could not be suspended; suspend it through the admin API",
        };
    }

    private async Task MarkReviewedAsync(string tenantId, string agentId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(tenantId, DocumentKinds.Baseline, agentId, cancellationToken: cancellationToken);
        if (GovernanceDocuments.Read(document, GovernanceJsonContext.Default.BaselineRecord) is not { } baseline)
            return;
        try
        {
            await store.PutAsync(tenantId, DocumentKinds.Baseline, agentId, GovernanceDocuments.ToElement(baseline with { LastReviewedAt = at }, GovernanceJsonContext.Default.BaselineRecord), document!.ETag, cancellationToken);
        }
        catch (PreconditionFailedException)
        {
            // a new baseline was written meanwhile; it carries its own review time
        }
    }

    internal Task AuditAsync(string tenantId, string actor, string action, string kind, string target, string detail, CancellationToken cancellationToken) =>
        audit.RecordAsync(tenantId, actor, action, kind, target, detail, Source, cancellationToken);

    private static string SafeId(string agentId)
    {
        var safe = new StringBuilder();
        foreach (var c in agentId)
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-' ? c : '_');
        return safe.Length <= 100 ? safe.ToString() : FindingKinds.FindingId(agentId, "policy", "")[2..];
    }

    [LoggerMessage(EventId = 9020, Level = LogLevel.Information, Message = "Review task {TaskId} (agent {AgentId}, tenant {TenantId}): {Action} by {Actor}")]
    private static partial void LogAction(ILogger logger, string tenantId, string taskId, string agentId, string action, string actor);
}
