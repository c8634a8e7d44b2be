using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Api.Snapshots;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Decisions;

/// <summary>
/// The AuthZEN 1.0 endpoints, shared by the Functions app and the self-hosted server. A deny is 200 with
/// <c>decision:false</c>; bad input is a 400 problem naming the field; a missing or stale snapshot is a deny with its
/// reason (fail closed).
/// </summary>
public sealed class DecisionHandlers(
    CallerAuthenticator authenticator,
    JsonBody body,
    TenantSnapshots snapshots,
    DecisionLogRecorder recorder,
    IOptions<ArbiterOptions> options,
    IOptions<AuthOptions> authOptions,
    TimeProvider time)
{
    public const string EvaluationRoute = "access/v1/evaluation";
    public const string EvaluationsRoute = "access/v1/evaluations";
    public const string SearchSubjectRoute = "access/v1/search/subject";
    public const string SearchResourceRoute = "access/v1/search/resource";
    public const string SearchActionRoute = "access/v1/search/action";
    public const string ConfigurationRoute = ".well-known/authzen-configuration";

    public async Task<IResult> EvaluateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var call = await BeginAsync(context, cancellationToken);
        if (call.Error is not null)
            return call.Error;
        using var document = call.Document!;
        var request = RequestReader.Read(document.RootElement, default, out var problem);
        if (problem is not null)
            return Problems.BadRequest(problem.Message, problem.Path);
        var lease = await snapshots.GetAsync(call.Caller!.TenantId, cancellationToken);
        var decided = Decide(lease, request!);
        await recorder.RecordAsync(call.Caller.TenantId, call.RequestId, decided.Request, decided.Decision, decided.Latency, cancellationToken);
        return TypedResults.Json(EvaluationResponse.From(decided.Decision), ApiJsonContext.Wire.EvaluationResponse);
    }

    public async Task<IResult> EvaluateBatchAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var call = await BeginAsync(context, cancellationToken);
        if (call.Error is not null)
            return call.Error;
        using var document = call.Document!;
        var root = document.RootElement;

        var semantic = "execute_all";
        if (root.TryGetProperty("options", out var opts) && opts.ValueKind == JsonValueKind.Object
            && opts.TryGetProperty("evaluations_semantic", out var s))
        {
            semantic = s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            if (semantic is not ("execute_all" or "deny_on_first_deny" or "permit_on_first_permit"))
                return Problems.BadRequest("options.evaluations_semantic must be execute_all, deny_on_first_deny or permit_on_first_permit", "/options/evaluations_semantic");
        }

        var lease = await snapshots.GetAsync(call.Caller!.TenantId, cancellationToken);
        if (!root.TryGetProperty("evaluations", out var items) || items.ValueKind == JsonValueKind.Null
            || (items.ValueKind == JsonValueKind.Array && items.GetArrayLength() == 0))
        {
            // No evaluations: the request is a single evaluation of its top-level members (AuthZEN 1.0).
            var single = RequestReader.Read(root, default, out var problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, problem.Path);
            var decided = Decide(lease, single!);
            await recorder.RecordAsync(call.Caller.TenantId, call.RequestId, decided.Request, decided.Decision, decided.Latency, cancellationToken);
            return TypedResults.Json(EvaluationResponse.From(decided.Decision), ApiJsonContext.Wire.EvaluationResponse);
        }
        if (items.ValueKind != JsonValueKind.Array)
            return Problems.BadRequest("'evaluations' must be an array", "/evaluations");
        if (items.GetArrayLength() > options.Value.MaxBatchSize)
            return Problems.BadRequest($"at most {options.Value.MaxBatchSize} evaluations per request; this one has {items.GetArrayLength()}", "/evaluations");

        var results = new List<EvaluationResponse>(items.GetArrayLength());
        var recorded = new List<RecordedDecision>(items.GetArrayLength());
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var request = RequestReader.Read(item, root, out var problem);
            EvaluationResponse response;
            bool allowed;
            if (problem is not null)
            {
                response = EvaluationResponse.Error(problem.Message, $"/evaluations/{index}{problem.Path}");
                allowed = false;
            }
            else
            {
                var decided = Decide(lease, request!);
                recorded.Add(decided);
                response = EvaluationResponse.From(decided.Decision);
                allowed = decided.Decision.Allowed;
            }
            results.Add(response);
            index++;
            if ((semantic == "deny_on_first_deny" && !allowed) || (semantic == "permit_on_first_permit" && allowed))
                break;
        }
        // One group commit for the whole batch: the answers leave once every record is durable.
        await recorder.RecordAllAsync(call.Caller.TenantId, call.RequestId, recorded, cancellationToken);
        return TypedResults.Json(new EvaluationsResponse(results), ApiJsonContext.Wire.EvaluationsResponse);
    }

    public Task<IResult> SearchSubjectAsync(HttpContext context, CancellationToken cancellationToken) =>
        SearchAsync(context, "subject", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subjectType = RequiredType(root, "subject", ref problem);
            var action = ActionName(root, ref problem);
            var resource = RequestReader.ReadEntity(RequestReader.Member(root, default, "resource"), "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchSubjects(subjectType!, action!, resource!, agent, ctx).Select(id => (subjectType!, id))], null);
        }, cancellationToken);

    public Task<IResult> SearchResourceAsync(HttpContext context, CancellationToken cancellationToken) =>
        SearchAsync(context, "resource", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subject = RequestReader.ReadEntity(RequestReader.Member(root, default, "subject"), "subject", ref problem);
            var action = ActionName(root, ref problem);
            var resourceType = RequiredType(root, "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchResources(subject!, agent, action!, resourceType!, ctx).Select(id => (resourceType!, id))], null);
        }, cancellationToken);

    public Task<IResult> SearchActionAsync(HttpContext context, CancellationToken cancellationToken) =>
        SearchAsync(context, "action", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subject = RequestReader.ReadEntity(RequestReader.Member(root, default, "subject"), "subject", ref problem);
            var resource = RequestReader.ReadEntity(RequestReader.Member(root, default, "resource"), "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchActions(subject!, agent, resource!, ctx).Select(name => ("", name))], null);
        }, cancellationToken);

    /// <summary>PDP metadata: public, no authentication (it names endpoints, not data).</summary>
    public IResult Configuration(HttpContext context)
    {
        RequestIds.Echo(context);
        var baseUrl = options.Value.PublicBaseUrl.TrimEnd('/');
        return TypedResults.Json(new PdpConfiguration(
            baseUrl,
            $"{baseUrl}/{EvaluationRoute}",
            $"{baseUrl}/{EvaluationsRoute}",
            $"{baseUrl}/{SearchSubjectRoute}",
            $"{baseUrl}/{SearchResourceRoute}",
            $"{baseUrl}/{SearchActionRoute}",
            ["urn:arbiter:capability:principal-agent-context", "urn:arbiter:capability:agent-only", "urn:arbiter:capability:obligations"]),
            ApiJsonContext.Wire.PdpConfiguration);
    }

    private delegate (List<(string Type, string Id)>? Results, Problem? Problem) SearchFunc(PolicySnapshot snapshot, JsonElement root, string? agentId, JsonElement context);

    private async Task<IResult> SearchAsync(HttpContext context, string kind, SearchFunc search, CancellationToken cancellationToken)
    {
        var call = await BeginAsync(context, cancellationToken);
        if (call.Error is not null)
            return call.Error;
        using var document = call.Document!;
        var root = document.RootElement;

        var (offset, limit, pageProblem) = ReadPage(root);
        if (pageProblem is not null)
            return Problems.BadRequest(pageProblem.Message, pageProblem.Path);
        var ctx = RequestReader.Member(root, default, "context");
        string? agentId = null;
        if (ctx.ValueKind == JsonValueKind.Object && ctx.TryGetProperty("agent", out var agent) && agent.ValueKind == JsonValueKind.Object
            && agent.TryGetProperty("id", out var agentIdElement) && agentIdElement.ValueKind == JsonValueKind.String)
            agentId = agentIdElement.GetString();

        var lease = await snapshots.GetAsync(call.Caller!.TenantId, cancellationToken);
        if (lease.Snapshot is null)
            return Problems.Unavailable(lease.Failure!);
        var (results, problem) = search(lease.Snapshot, root, agentId, ctx.ValueKind == JsonValueKind.Object ? ctx : default);
        if (problem is not null)
            return Problems.BadRequest(problem.Message, problem.Path);

        var page = results!.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < results!.Count ? PageToken(offset + page.Count) : "";
        var pageDto = new PageDto(next, page.Count, results.Count);
        return kind == "action"
            ? TypedResults.Json(new ActionSearchResponse([.. page.Select(r => new ActionDto(r.Id))], pageDto), ApiJsonContext.Wire.ActionSearchResponse)
            : TypedResults.Json(new EntitySearchResponse([.. page.Select(r => new EntityDto(r.Type, r.Id))], pageDto), ApiJsonContext.Wire.EntitySearchResponse);
    }

    private (int Offset, int Limit, Problem? Problem) ReadPage(JsonElement root)
    {
        var limit = options.Value.DefaultPageSize;
        var offset = 0;
        if (!root.TryGetProperty("page", out var page) || page.ValueKind == JsonValueKind.Null)
            return (offset, limit, null);
        if (page.ValueKind != JsonValueKind.Object)
            return (0, 0, new Problem("/page", "'page' must be an object"));
        if (page.TryGetProperty("limit", out var l))
        {
            if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out limit) || limit < 1)
                return (0, 0, new Problem("/page/limit", "'page.limit' must be a positive integer"));
            limit = Math.Min(limit, options.Value.MaxPageSize);
        }
        if (page.TryGetProperty("token", out var t) && t.ValueKind != JsonValueKind.Null && !(t.ValueKind == JsonValueKind.String && t.GetString() == ""))
        {
            if (t.ValueKind != JsonValueKind.String || !TryReadPageToken(t.GetString()!, out offset))
                return (0, 0, new Problem("/page/token", "'page.token' is not a token this service issued"));
        }
        return (offset, limit, null);
    }

    private static string PageToken(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1:{offset}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryReadPageToken(string token, out int offset)
    {
        offset = 0;
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("v1:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(3), out offset) && offset >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string? RequiredType(JsonElement root, string name, ref Problem? problem)
    {
        var element = RequestReader.Member(root, default, name);
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem ??= new Problem("/" + name, $"'{name}' is required (an object with 'type')");
            return null;
        }
        if (!element.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString()!.Length == 0)
        {
            problem ??= new Problem($"/{name}/type", $"'{name}.type' is required");
            return null;
        }
        return type.GetString();
    }

    private static string? ActionName(JsonElement root, ref Problem? problem)
    {
        var action = RequestReader.Member(root, default, "action");
        if (action.ValueKind != JsonValueKind.Object)
        {
            problem ??= new Problem("/action", "'action' is required (an object with 'name')");
            return null;
        }
        if (!action.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
        {
            problem ??= new Problem("/action/name", "'action.name' is required");
            return null;
        }
        return name.GetString();
    }

    /// <summary>Evaluates; the caller records the decision (awaiting its durability) before the answer is written.</summary>
    private RecordedDecision Decide(SnapshotLease lease, DecisionRequest request)
    {
        using var activity = Telemetry.ArbiterTelemetry.Source.StartActivity("arbiter.decide");
        var started = Stopwatch.GetTimestamp();
        var decision = lease.Snapshot?.Evaluate(request, explain: true) ?? FailClosed(lease.Failure!, request);
        var latency = Stopwatch.GetElapsedTime(started);
        if (activity is not null)
        {
            activity.SetTag("arbiter.decision", decision.Allowed ? "permit" : "deny");
            activity.SetTag("arbiter.mode", decision.Mode);
            activity.SetTag("arbiter.decision_id", decision.DecisionId);
            activity.SetTag("arbiter.snapshot_version", decision.SnapshotVersion);
        }
        return new RecordedDecision(request, decision, latency);
    }

    private Decision FailClosed(string failure, DecisionRequest request) =>
        new(false, DecisionIds.Next(time.GetUtcNow()), 0,
            request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode : Decision.PrincipalMode,
            [], [], "deny: " + failure, PolicySnapshot.UserReasons.Error, [], null);

    private readonly record struct Call(Caller? Caller, JsonDocument? Document, string RequestId, IResult? Error);

    private async Task<Call> BeginAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var requestId = RequestIds.Echo(context);
        var (caller, authError) = await authenticator.AuthenticateAsync(context, authOptions.Value.EvaluateRole, cancellationToken);
        if (authError is not null)
            return new Call(null, null, requestId, authError);
        var (document, bodyError) = await body.ReadAsync(context.Request, cancellationToken);
        return new Call(caller, document, requestId, bodyError);
    }
}
