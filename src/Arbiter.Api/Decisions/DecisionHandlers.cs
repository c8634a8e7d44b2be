using System.Text;
using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Decisions;
using Arbiter.Runtime.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Decisions;

/// <summary>
/// The AuthZEN 1.0 endpoints, shared by the Functions app and the self-hosted server. A deny is 200 with
/// <c>decision:false</c>; bad input is a 400 problem naming the field; a missing or stale snapshot is a deny with its
/// reason (fail closed). The edge has authenticated the caller (role Evaluate) and the body is parsed.
/// </summary>
public sealed class DecisionHandlers(
    TenantSnapshots snapshots,
    Decider decider,
    DecisionLogRecorder recorder,
    IOptions<ArbiterOptions> options)
{
    public const string EvaluationRoute = "access/v1/evaluation";
    public const string EvaluationsRoute = "access/v1/evaluations";
    public const string SearchSubjectRoute = "access/v1/search/subject";
    public const string SearchResourceRoute = "access/v1/search/resource";
    public const string SearchActionRoute = "access/v1/search/action";
    public const string ConfigurationRoute = ".well-known/authzen-configuration";

    /// <summary>The per-tenant form of the routes above: <c>{tenant}/access/v1/...</c>, whose PDP identifier is <c>{base}/{tenant}</c>.</summary>
    public const string TenantPrefix = "{tenant}/";

    public async Task<Results<JsonHttpResult<EvaluationResponse>, ProblemHttpResult>> EvaluateAsync(
        HttpContext context, Caller caller, DecisionInput input, CancellationToken cancellationToken)
    {
        DecisionRequest request;
        bool explain;
        if (input.Read is { Evaluation: { } read } body)
        {
            request = read;
            explain = Explains(body.Explain);
        }
        else
        {
            var root = input.Json.Root;
            var strict = RequestReader.Read(root, default, out var problem);
            explain = Explains(root, ref problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, problem.Path);
            request = strict!;
        }
        return await DecideOneAsync(context, caller, request, explain, cancellationToken);
    }

    private async Task<JsonHttpResult<EvaluationResponse>> DecideOneAsync(
        HttpContext context, Caller caller, DecisionRequest request, bool explain, CancellationToken cancellationToken)
    {
        var lease = await snapshots.GetAsync(caller.TenantId, cancellationToken);
        var decided = decider.Decide(lease, request);
        await recorder.RecordAsync(caller.TenantId, RequestIds.Of(context), decided.Request, decided.Decision, decided.Latency, cancellationToken);
        return TypedResults.Json(EvaluationResponse.From(decided.Decision, explain), ApiJsonContext.Wire.EvaluationResponse);
    }

    /// <summary>Whether the response carries the explanation: <c>options.explain</c> (a boolean), or the server's setting.</summary>
    private bool Explains(JsonElement root, ref Problem? problem)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("options", out var opts) && opts.ValueKind == JsonValueKind.Object
            && opts.TryGetProperty("explain", out var explain))
        {
            if (explain.ValueKind is JsonValueKind.True or JsonValueKind.False)
                return Explains(explain.GetBoolean());
            problem ??= new Problem("/options/explain", "'options.explain' must be true or false");
        }
        return Explains(null);
    }

    private bool Explains(bool? asked) => asked == true || options.Value.Explain == ExplainMode.Always;

    public async Task<Results<JsonHttpResult<EvaluationsResponse>, JsonHttpResult<EvaluationResponse>, ProblemHttpResult>> EvaluateBatchAsync(
        HttpContext context, Caller caller, DecisionInput input, CancellationToken cancellationToken)
    {
        if (input.Read is { } read)
        {
            if (read.Items.Count == 0)
                return await DecideOneAsync(context, caller, read.Evaluation!, Explains(read.Explain), cancellationToken);
            return await DecideBatchAsync(context, caller, read.Semantic ?? "execute_all", Explains(read.Explain), read.Items.Count, Read(read.Items), cancellationToken);
        }

        var root = input.Json.Root;
        var semantic = "execute_all";
        if (root.TryGetProperty("options", out var opts) && opts.ValueKind == JsonValueKind.Object
            && opts.TryGetProperty("evaluations_semantic", out var s))
        {
            semantic = s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            if (semantic is not ("execute_all" or "deny_on_first_deny" or "permit_on_first_permit"))
                return Problems.BadRequest("options.evaluations_semantic must be execute_all, deny_on_first_deny or permit_on_first_permit", "/options/evaluations_semantic");
        }

        Problem? optionProblem = null;
        var explain = Explains(root, ref optionProblem);
        if (optionProblem is not null)
            return Problems.BadRequest(optionProblem.Message, optionProblem.Path);
        if (!root.TryGetProperty("evaluations", out var items) || items.ValueKind == JsonValueKind.Null
            || (items.ValueKind == JsonValueKind.Array && items.GetArrayLength() == 0))
        {
            // No evaluations: the request is a single evaluation of its top-level members (AuthZEN 1.0).
            var single = RequestReader.Read(root, default, out var problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, problem.Path);
            return await DecideOneAsync(context, caller, single!, explain, cancellationToken);
        }
        if (items.ValueKind != JsonValueKind.Array)
            return Problems.BadRequest("'evaluations' must be an array", "/evaluations");
        if (items.GetArrayLength() > options.Value.MaxBatchSize)
            return Problems.BadRequest($"at most {options.Value.MaxBatchSize} evaluations per request; this one has {items.GetArrayLength()}", "/evaluations");
        return await DecideBatchAsync(context, caller, semantic, explain, items.GetArrayLength(), Read(items, new BatchDefaults(root)), cancellationToken);
    }

    private static IEnumerable<(DecisionRequest? Request, Problem? Problem)> Read(IReadOnlyList<DecisionRequest> items)
    {
        foreach (var item in items)
            yield return (item, null);
    }

    private static IEnumerable<(DecisionRequest? Request, Problem? Problem)> Read(JsonElement items, BatchDefaults defaults)
    {
        foreach (var item in items.EnumerateArray())
            yield return (RequestReader.ReadInBatch(item, defaults, out var problem), problem);
    }

    /// <summary>Decides the items in order (stopping as <paramref name="semantic"/> says), records them, and answers each.</summary>
    private async Task<JsonHttpResult<EvaluationsResponse>> DecideBatchAsync(
        HttpContext context, Caller caller, string semantic, bool explain, int count,
        IEnumerable<(DecisionRequest? Request, Problem? Problem)> items, CancellationToken cancellationToken)
    {
        var lease = await snapshots.GetAsync(caller.TenantId, cancellationToken);
        using var span = Decider.StartBatch(count);
        var results = new List<EvaluationResponse>(count);
        var decisions = new List<RecordedDecision>(count);
        var index = 0;
        foreach (var (request, problem) in items)
        {
            bool allowed;
            if (problem is not null)
            {
                results.Add(EvaluationResponse.Error(problem.Message, $"/evaluations/{index}{problem.Path}"));
                allowed = false;
            }
            else
            {
                var decided = decider.DecideInBatch(lease, request!);
                decisions.Add(decided);
                results.Add(EvaluationResponse.From(decided.Decision, explain));
                allowed = decided.Decision.Allowed;
            }
            index++;
            if ((semantic == "deny_on_first_deny" && !allowed) || (semantic == "permit_on_first_permit" && allowed))
                break;
        }
        Decider.TagBatch(span, decisions);
        // Recorded before the answer leaves: the decision log holds what the caller is told.
        await recorder.RecordAllAsync(caller.TenantId, RequestIds.Of(context), decisions, cancellationToken);
        return TypedResults.Json(new EvaluationsResponse(results), ApiJsonContext.Wire.EvaluationsResponse);
    }

    public Task<IResult> SearchSubjectAsync(Caller caller, JsonInput input, CancellationToken cancellationToken) =>
        SearchAsync(caller, input, "subject", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subjectType = RequiredType(root, "subject", ref problem);
            var action = ActionName(root, ref problem);
            var resource = RequestReader.ReadEntity(RequestReader.Member(root, default, "resource"), "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchSubjects(subjectType!, action!, resource!, agent, ctx).Select(id => (subjectType!, id))], null);
        }, cancellationToken);

    public Task<IResult> SearchResourceAsync(Caller caller, JsonInput input, CancellationToken cancellationToken) =>
        SearchAsync(caller, input, "resource", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subject = RequestReader.ReadEntity(RequestReader.Member(root, default, "subject"), "subject", ref problem);
            var action = ActionName(root, ref problem);
            var resourceType = RequiredType(root, "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchResources(subject!, agent, action!, resourceType!, ctx).Select(id => (resourceType!, id))], null);
        }, cancellationToken);

    public Task<IResult> SearchActionAsync(Caller caller, JsonInput input, CancellationToken cancellationToken) =>
        SearchAsync(caller, input, "action", (snapshot, root, agent, ctx) =>
        {
            Problem? problem = null;
            var subject = RequestReader.ReadEntity(RequestReader.Member(root, default, "subject"), "subject", ref problem);
            var resource = RequestReader.ReadEntity(RequestReader.Member(root, default, "resource"), "resource", ref problem);
            if (problem is not null)
                return (null, problem);
            return ([.. snapshot.SearchActions(subject!, agent, resource!, ctx).Select(name => ("", name))], null);
        }, cancellationToken);

    /// <summary>
    /// PDP metadata: public, no authentication (it names endpoints, not data). <c>capabilities</c> lists only URNs
    /// registered for AuthZEN (none of Arbiter's features has one yet); Arbiter's own are in <c>arbiter_capabilities</c>.
    /// With <paramref name="tenant"/> (the per-tenant form, <c>/.well-known/authzen-configuration/{tenant}</c>) the PDP
    /// identifier is <c>{base}/{tenant}</c> and its endpoints are under it.
    /// </summary>
    public JsonHttpResult<PdpConfiguration> Configuration(string? tenant = null)
    {
        var baseUrl = options.Value.PublicBaseUrl.TrimEnd('/');
        if (tenant is not null)
            baseUrl += "/" + Uri.EscapeDataString(tenant);
        return TypedResults.Json(new PdpConfiguration(
            baseUrl,
            $"{baseUrl}/{EvaluationRoute}",
            $"{baseUrl}/{EvaluationsRoute}",
            $"{baseUrl}/{SearchSubjectRoute}",
            $"{baseUrl}/{SearchResourceRoute}",
            $"{baseUrl}/{SearchActionRoute}",
            [],
            ArbiterCapabilities),
            ApiJsonContext.Wire.PdpConfiguration);
    }

    public static readonly IReadOnlyList<string> ArbiterCapabilities =
    [
        "urn:arbiter:capability:principal-agent-context", "urn:arbiter:capability:agent-only", "urn:arbiter:capability:direct",
        "urn:arbiter:capability:obligations", "urn:arbiter:capability:request-supplied-resources", "urn:arbiter:capability:explain",
    ];

    private delegate (List<(string Type, string Id)>? Results, Problem? Problem) SearchFunc(PolicySnapshot snapshot, JsonElement root, string? agentId, JsonElement context);

    private async Task<IResult> SearchAsync(Caller caller, JsonInput input, string kind, SearchFunc search, CancellationToken cancellationToken)
    {
        var root = input.Root;

        var binding = PageBinding(kind, root);
        var (offset, limit, pageProblem) = ReadPage(root, binding);
        if (pageProblem is not null)
            return Problems.BadRequest(pageProblem.Message, pageProblem.Path);
        var ctx = RequestReader.Member(root, default, "context");
        string? agentId = null;
        if (ctx.ValueKind == JsonValueKind.Object && ctx.TryGetProperty("agent", out var agent) && agent.ValueKind == JsonValueKind.Object
            && agent.TryGetProperty("id", out var agentIdElement) && agentIdElement.ValueKind == JsonValueKind.String)
            agentId = agentIdElement.GetString();

        var lease = await snapshots.GetAsync(caller.TenantId, cancellationToken);
        if (lease.Snapshot is null)
            return Problems.Unavailable(lease.Failure!);
        var (results, problem) = search(lease.Snapshot, root, agentId, ctx.ValueKind == JsonValueKind.Object ? ctx : default);
        if (problem is not null)
            return Problems.BadRequest(problem.Message, problem.Path);

        var page = results!.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < results!.Count ? PageToken(offset + page.Count, limit, binding) : "";
        var pageDto = new PageDto(next, page.Count, results.Count);
        return kind == "action"
            ? TypedResults.Json(new ActionSearchResponse(pageDto, [.. page.Select(r => new ActionDto(r.Id))]), ApiJsonContext.Wire.ActionSearchResponse)
            : TypedResults.Json(new EntitySearchResponse(pageDto, [.. page.Select(r => new EntityDto(r.Type, r.Id))]), ApiJsonContext.Wire.EntitySearchResponse);
    }

    /// <summary>
    /// What a page token is bound to: the search kind and every request member but <c>page</c>, hashed. A token replayed
    /// with another subject, action, resource or context is refused instead of paging through a different answer.
    /// </summary>
    private static string PageBinding(string kind, JsonElement root)
    {
        var text = new StringBuilder(kind);
        foreach (var member in root.EnumerateObject().Where(m => m.Name != "page").OrderBy(m => m.Name, StringComparer.Ordinal))
            text.Append('\n').Append(member.Name).Append('=').Append(member.Value.GetRawText());
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }

    /// <summary>
    /// The page asked for. A token carries the offset, the limit of the search it came from and the request it is bound
    /// to: a later page keeps that limit when none is given, and a different one is refused (AuthZEN: paging parameters
    /// stay identical across pages).
    /// </summary>
    private (int Offset, int Limit, Problem? Problem) ReadPage(JsonElement root, string binding)
    {
        var limit = options.Value.DefaultPageSize;
        if (!root.TryGetProperty("page", out var page) || page.ValueKind == JsonValueKind.Null)
            return (0, limit, null);
        if (page.ValueKind != JsonValueKind.Object)
            return (0, 0, new Problem("/page", "'page' must be an object"));
        int? given = null;
        if (page.TryGetProperty("limit", out var l))
        {
            // 0 is a valid limit: no results, but the count, the total and a token for the first page.
            if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out var asked) || asked < 0)
                return (0, 0, new Problem("/page/limit", "'page.limit' must be a non-negative integer"));
            given = Math.Min(asked, options.Value.MaxPageSize);
        }
        if (!page.TryGetProperty("token", out var t) || t.ValueKind == JsonValueKind.Null || (t.ValueKind == JsonValueKind.String && t.GetString() == ""))
            return (0, given ?? limit, null);
        if (t.ValueKind != JsonValueKind.String || !TryReadPageToken(t.GetString()!, out var token))
            return (0, 0, new Problem("/page/token", "'page.token' is not a token this service issued"));
        if (token.Binding != binding)
            return (0, 0, new Problem("/page/token", "'page.token' belongs to a search with other members: page with the request it came from"));
        if (given is { } changed && changed != token.Limit)
            return (0, 0, new Problem("/page/limit", $"'page.limit' must stay {token.Limit} while paging with this token"));
        return (token.Offset, token.Limit, null);
    }

    private readonly record struct PageTokenParts(int Offset, int Limit, string Binding);

    private static string PageToken(int offset, int limit, string binding) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"v3:{offset}:{limit}:{binding}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryReadPageToken(string text, out PageTokenParts token)
    {
        token = default;
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            if (parts.Length != 4 || parts[0] != "v3"
                || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, invariant, out var offset)
                || !int.TryParse(parts[2], System.Globalization.NumberStyles.None, invariant, out var limit))
                return false;
            token = new PageTokenParts(offset, limit, parts[3]);
            return true;
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
}
