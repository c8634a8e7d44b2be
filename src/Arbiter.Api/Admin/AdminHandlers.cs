using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Api.Snapshots;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Admin;

/// <summary>
/// The admin API (app role <see cref="AuthOptions.AdminRole"/>), shared by both hosts: policies with versions and
/// rollback, directory items, the agent kill switch, what-if, tenant import/export. Writes use ETags (If-Match; a
/// stale one → 412), are audited, and refresh this instance's snapshot before returning.
/// </summary>
public sealed partial class AdminHandlers(
    CallerAuthenticator authenticator,
    JsonBody body,
    IDocumentStore store,
    TenantSnapshots snapshots,
    PolicyVersions versions,
    TenantTransfer transfer,
    IOptions<AuthOptions> authOptions,
    TimeProvider time)
{
    /// <summary>Not "admin": the Functions host reserves that route prefix for its own admin API.</summary>
    public const string Prefix = "manage/v1";

    /// <summary>URL segment → document kind for the directory routes.</summary>
    public static readonly IReadOnlyDictionary<string, string> DirectoryKinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["users"] = DocumentKinds.User,
        ["groups"] = DocumentKinds.Group,
        ["agents"] = DocumentKinds.Agent,
        ["mcp-servers"] = DocumentKinds.McpServer,
        ["tools"] = DocumentKinds.Tool,
        ["data-resources"] = DocumentKinds.DataResource,
    };

    // ---- policies ----

    public async Task<IResult> ValidatePolicyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: true, cancellationToken);
        if (error is not null)
            return error;
        using var document = call.Document!;
        var result = PolicyParser.Parse(document.RootElement);
        return TypedResults.Json(new ValidationDto(result.IsValid, [.. result.Problems.Select(ProblemDto.From)]), ApiJsonContext.Wire.ValidationDto);
    }

    public Task<IResult> ListPoliciesAsync(HttpContext context, CancellationToken cancellationToken) =>
        ListAsync(context, DocumentKinds.Policy, cancellationToken);

    public Task<IResult> GetPolicyAsync(HttpContext context, string id, CancellationToken cancellationToken) =>
        GetAsync(context, DocumentKinds.Policy, id, cancellationToken);

    public Task<IResult> CreatePolicyAsync(HttpContext context, CancellationToken cancellationToken) =>
        SavePolicyAsync(context, null, cancellationToken);

    public Task<IResult> UpdatePolicyAsync(HttpContext context, string id, CancellationToken cancellationToken) =>
        SavePolicyAsync(context, id, cancellationToken);

    private async Task<IResult> SavePolicyAsync(HttpContext context, string? routeId, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: true, cancellationToken);
        if (error is not null)
            return error;
        using var document = call.Document!;
        var parsed = PolicyParser.Parse(document.RootElement);
        if (!parsed.IsValid)
            return Problems.BadRequest($"the policy has {parsed.Problems.Count} problem(s)", parsed.Problems[0].Path, parsed.Problems.Select(ProblemDto.From));
        var id = parsed.Policy!.Id;
        if (routeId is not null && routeId != id)
            return Problems.BadRequest($"the policy id '{id}' differs from the id in the URL '{routeId}'", "/id");
        string? ifMatch = null;
        if (routeId is not null && !TryIfMatch(context, out ifMatch, out var missing))
            return missing!;

        return await WriteAsync(context, call.Caller!, DocumentKinds.Policy, id, document.RootElement, ifMatch,
            routeId is null ? "create" : "update", cancellationToken,
            after: saved => versions.RecordAsync(call.Caller!.TenantId, id, saved.Body, routeId is null ? "create" : "update", call.Caller.Id, cancellationToken));
    }

    public async Task<IResult> DeletePolicyAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        if (!TryIfMatch(context, out var ifMatch, out var missing))
            return missing!;
        return await DeleteCoreAsync(call.Caller!, DocumentKinds.Policy, id, ifMatch!, cancellationToken,
            after: () => versions.RecordAsync(call.Caller!.TenantId, id, null, "delete", call.Caller.Id, cancellationToken));
    }

    public async Task<IResult> PolicyVersionsAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        var list = await versions.ListAsync(call.Caller!.TenantId, id, cancellationToken);
        return list.Count == 0 ? Problems.NotFound($"policy '{id}' has no history") : TypedResults.Json(list.ToList(), ApiJsonContext.Wire.ListPolicyVersionDto);
    }

    /// <summary>Rolls back to <c>?version=N</c>: that version's content becomes the newest version (history is never rewritten).</summary>
    public async Task<IResult> RollbackPolicyAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        if (!int.TryParse(context.Request.Query["version"], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return Problems.BadRequest("give the version to roll back to as ?version=N", "version");
        var target = (await versions.ListAsync(call.Caller!.TenantId, id, cancellationToken)).FirstOrDefault(v => v.Version == version);
        if (target is null)
            return Problems.NotFound($"policy '{id}' has no version {version}");
        if (target.Policy is not { } policy)
            return Problems.BadRequest($"version {version} of policy '{id}' is a deletion; roll back to a version with content", "version");
        var ifMatch = context.Request.Headers.IfMatch.Count > 0 ? Unquote(context.Request.Headers.IfMatch.ToString()) : "*";
        return await WriteAsync(context, call.Caller, DocumentKinds.Policy, id, policy, ifMatch, $"rollback to {version}", cancellationToken,
            after: saved => versions.RecordAsync(call.Caller.TenantId, id, saved.Body, $"rollback to {version}", call.Caller.Id, cancellationToken));
    }

    // ---- directory ----

    // Directory routes authenticate before looking at the collection name, so strangers learn nothing (401, not 404).

    public async Task<IResult> ListDirectoryAsync(HttpContext context, string collection, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        return error ?? (DirectoryKinds.TryGetValue(collection, out var kind) ? await ListCoreAsync(context, call.Caller!, kind, cancellationToken) : UnknownCollection(collection));
    }

    public async Task<IResult> GetDirectoryAsync(HttpContext context, string collection, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        return error ?? (DirectoryKinds.TryGetValue(collection, out var kind) ? await GetCoreAsync(context, call.Caller!, kind, id, cancellationToken) : UnknownCollection(collection));
    }

    /// <summary>Creates (no If-Match) or replaces (If-Match required) a directory item.</summary>
    public async Task<IResult> PutDirectoryAsync(HttpContext context, string collection, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: true, cancellationToken);
        if (error is not null)
            return error;
        if (!DirectoryKinds.TryGetValue(collection, out var kind))
            return UnknownCollection(collection);
        using var document = call.Document!;
        var node = JsonNode.Parse(document.RootElement.GetRawText())!.AsObject();
        if (node["id"] is { } bodyId && bodyId.GetValueKind() == JsonValueKind.String && bodyId.GetValue<string>() != id)
            return Problems.BadRequest($"the body's id differs from the id in the URL '{id}'", "/id");
        node["id"] = id;
        var item = JsonSerializer.SerializeToElement(node, ApiJsonContext.Wire.JsonObject);
        var check = TenantState.Empty.Apply([new SourceChange(kind, id, item)]);
        if (check.Rejected.Count > 0)
        {
            var problems = check.Rejected.Values.SelectMany(p => p).ToList();
            return Problems.BadRequest(problems[0].Message, problems[0].Path, problems.Select(ProblemDto.From));
        }
        var ifMatch = context.Request.Headers.IfMatch.Count > 0 ? Unquote(context.Request.Headers.IfMatch.ToString()) : null;
        return await WriteAsync(context, call.Caller!, kind, id, item, ifMatch, ifMatch is null ? "create" : "update", cancellationToken);
    }

    public async Task<IResult> DeleteDirectoryAsync(HttpContext context, string collection, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        if (!DirectoryKinds.TryGetValue(collection, out var kind))
            return UnknownCollection(collection);
        if (!TryIfMatch(context, out var ifMatch, out var missing))
            return missing!;
        return await DeleteCoreAsync(call.Caller!, kind, id, ifMatch!, cancellationToken);
    }

    // ---- kill switch ----

    public Task<IResult> SuspendAgentAsync(HttpContext context, string id, CancellationToken cancellationToken) =>
        SetSuspendedAsync(context, id, suspended: true, cancellationToken);

    public Task<IResult> ResumeAgentAsync(HttpContext context, string id, CancellationToken cancellationToken) =>
        SetSuspendedAsync(context, id, suspended: false, cancellationToken);

    /// <summary>
    /// Flips <c>suspended</c> with a read-modify-write under the agent's ETag (retried on a concurrent change), then
    /// refreshes this instance's snapshot: when the call returns, this instance denies at once; others within their
    /// refresh interval (<c>Snapshot:RefreshInterval</c>).
    /// </summary>
    private async Task<IResult> SetSuspendedAsync(HttpContext context, string id, bool suspended, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        var tenant = call.Caller!.TenantId;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await store.GetAsync(tenant, DocumentKinds.Agent, id, cancellationToken: cancellationToken);
            if (current is null)
                return Problems.NotFound($"agent '{id}' does not exist");
            var node = JsonNode.Parse(current.Body.GetRawText())!.AsObject();
            node["suspended"] = suspended;
            try
            {
                var saved = await store.PutAsync(tenant, DocumentKinds.Agent, id, JsonSerializer.SerializeToElement(node, ApiJsonContext.Wire.JsonObject), current.ETag, cancellationToken);
                await AuditAsync(call.Caller, suspended ? "suspend" : "resume", DocumentKinds.Agent, id, cancellationToken);
                await RefreshQuietlyAsync(tenant, cancellationToken);
                return Document(context, saved, StatusCodes.Status200OK);
            }
            catch (PreconditionFailedException)
            {
                // Someone changed the agent between our read and write: read again.
            }
        }
        return Problems.Conflict($"agent '{id}' kept changing; try again");
    }

    // ---- what-if ----

    /// <summary>
    /// <c>{"policies":[proposed documents], "remove":[ids], "evaluations":[AuthZEN items], defaults...}</c>: each
    /// evaluation against the current snapshot and against the snapshot with the proposal applied (nothing is saved).
    /// </summary>
    public async Task<IResult> WhatIfAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: true, cancellationToken);
        if (error is not null)
            return error;
        using var document = call.Document!;
        var root = document.RootElement;
        var lease = await snapshots.GetAsync(call.Caller!.TenantId, cancellationToken);
        if (lease.Snapshot is null)
            return Problems.Unavailable(lease.Failure!);

        var problems = new List<ProblemDto>();
        var changes = new List<SourceChange>();
        if (root.TryGetProperty("policies", out var proposed))
        {
            if (proposed.ValueKind != JsonValueKind.Array)
                return Problems.BadRequest("'policies' must be an array of policy documents", "/policies");
            var i = 0;
            foreach (var p in proposed.EnumerateArray())
            {
                var parsed = PolicyParser.Parse(p);
                if (parsed.IsValid)
                    changes.Add(new SourceChange(SourceKinds.Policy, parsed.Policy!.Id, p.Clone()));
                else
                    problems.AddRange(parsed.Problems.Select(x => new ProblemDto($"/policies/{i}{x.Path}", x.Message)));
                i++;
            }
        }
        if (root.TryGetProperty("remove", out var remove) && remove.ValueKind == JsonValueKind.Array)
            changes.AddRange(remove.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => new SourceChange(SourceKinds.Policy, r.GetString()!, null)));
        if (problems.Count > 0)
            return Problems.BadRequest("the proposed policies have problems", problems[0].Path, problems);
        if (!root.TryGetProperty("evaluations", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0)
            return Problems.BadRequest("'evaluations' is required: the requests to compare", "/evaluations");

        var current = lease.Snapshot;
        var candidate = current.Apply(changes, current.Version + 1);
        var results = new List<WhatIfItemDto>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var request = RequestReader.Read(item, root, out var problem);
            if (problem is not null)
                return Problems.BadRequest(problem.Message, $"/evaluations/{index}{problem.Path}");
            var before = current.Evaluate(request!, explain: true);
            var after = candidate.Evaluate(request!, explain: true);
            results.Add(new WhatIfItemDto(index++, EvaluationResponse.From(before), EvaluationResponse.From(after), before.Allowed != after.Allowed));
        }
        return TypedResults.Json(new WhatIfDto(results.Count(r => r.Changed), results, []), ApiJsonContext.Wire.WhatIfDto);
    }

    // ---- import / export ----

    public async Task<IResult> ImportAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: true, cancellationToken);
        if (error is not null)
            return error;
        using var document = call.Document!;
        var result = await transfer.ImportAsync(call.Caller!.TenantId, document.RootElement, null, cancellationToken);
        if (!result.Succeeded)
            return Problems.BadRequest($"the tenant file has {result.Problems.Count} problem(s); nothing was written", result.Problems[0].Path, result.Problems.Select(ProblemDto.From));
        await AuditAsync(call.Caller, "import", "tenant", call.Caller.TenantId, cancellationToken);
        await RefreshQuietlyAsync(call.Caller.TenantId, cancellationToken);
        return TypedResults.Json(new ImportDto(result.Written, []), ApiJsonContext.Wire.ImportDto);
    }

    public async Task<IResult> ExportAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        if (error is not null)
            return error;
        return TypedResults.Json(await transfer.ExportAsync(call.Caller!.TenantId, cancellationToken), ApiJsonContext.Wire.JsonObject);
    }

    // ---- shared ----

    private async Task<IResult> ListAsync(HttpContext context, string kind, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        return error ?? await ListCoreAsync(context, call.Caller!, kind, cancellationToken);
    }

    private async Task<IResult> ListCoreAsync(HttpContext context, Caller caller, string kind, CancellationToken cancellationToken)
    {
        var limit = int.TryParse(context.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 1000) : 100;
        var continuation = context.Request.Query["continuation"].ToString();
        try
        {
            var page = await store.ListAsync(caller.TenantId, kind, continuation.Length == 0 ? null : continuation, limit, false, cancellationToken);
            return TypedResults.Json(new DocumentListDto([.. page.Items.Select(ToDto)], page.Continuation), ApiJsonContext.Wire.DocumentListDto);
        }
        catch (StoreException e) when (e is not StoreUnavailableException)
        {
            return Problems.BadRequest("the continuation token is not valid: " + e.Message, "continuation");
        }
    }

    private async Task<IResult> GetAsync(HttpContext context, string kind, string id, CancellationToken cancellationToken)
    {
        var (call, error) = await BeginAsync(context, readBody: false, cancellationToken);
        return error ?? await GetCoreAsync(context, call.Caller!, kind, id, cancellationToken);
    }

    private async Task<IResult> GetCoreAsync(HttpContext context, Caller caller, string kind, string id, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(caller.TenantId, kind, id, cancellationToken: cancellationToken);
        return document is null ? Problems.NotFound($"{kind} '{id}' does not exist") : Document(context, document, StatusCodes.Status200OK);
    }

    private async Task<IResult> WriteAsync(HttpContext context, Caller caller, string kind, string id, JsonElement item, string? ifMatch, string action,
        CancellationToken cancellationToken, Func<StoredDocument, Task<int>>? after = null)
    {
        StoredDocument saved;
        try
        {
            saved = await store.PutAsync(caller.TenantId, kind, id, item, ifMatch, cancellationToken);
        }
        catch (PreconditionFailedException)
        {
            return Problems.PreconditionFailed($"{kind} '{id}' changed since the ETag given in If-Match was read; read it again and retry");
        }
        catch (ConflictException)
        {
            return Problems.Conflict($"{kind} '{id}' already exists; update it with PUT and If-Match");
        }
        if (after is not null)
            await after(saved);
        await AuditAsync(caller, action, kind, id, cancellationToken);
        await RefreshQuietlyAsync(caller.TenantId, cancellationToken);
        return Document(context, saved, ifMatch is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private async Task<IResult> DeleteCoreAsync(Caller caller, string kind, string id, string ifMatch, CancellationToken cancellationToken, Func<Task<int>>? after = null)
    {
        try
        {
            await store.DeleteAsync(caller.TenantId, kind, id, ifMatch, cancellationToken);
        }
        catch (NotFoundException)
        {
            return Problems.NotFound($"{kind} '{id}' does not exist");
        }
        catch (PreconditionFailedException)
        {
            return Problems.PreconditionFailed($"{kind} '{id}' changed since the ETag given in If-Match was read");
        }
        if (after is not null)
            await after();
        await AuditAsync(caller, "delete", kind, id, cancellationToken);
        await RefreshQuietlyAsync(caller.TenantId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static DocumentDto ToDto(StoredDocument d) => new(d.Id, d.ETag, d.UpdatedAt, d.Body);

    private static IResult Document(HttpContext context, StoredDocument document, int status)
    {
        context.Response.Headers.ETag = "\"" + document.ETag + "\"";
        return TypedResults.Json(ToDto(document), ApiJsonContext.Wire.DocumentDto, statusCode: status);
    }

    private static bool TryIfMatch(HttpContext context, out string? ifMatch, out IResult? missing)
    {
        ifMatch = null;
        missing = null;
        var header = context.Request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            missing = Problems.Status(StatusCodes.Status428PreconditionRequired, "Precondition required",
                "send If-Match with the ETag you last read (or * to overwrite whatever is there)");
            return false;
        }
        ifMatch = Unquote(header);
        return true;
    }

    private static string Unquote(string etag)
    {
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return value.Trim('"');
    }

    private static IResult UnknownCollection(string collection) =>
        Problems.NotFound($"unknown collection '{collection}' (expected one of: {string.Join(", ", DirectoryKinds.Keys)})");

    private async Task AuditAsync(Caller caller, string action, string kind, string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var record = new JsonObject
        {
            ["at"] = now,
            ["by"] = caller.Id,
            ["action"] = action,
            ["kind"] = kind,
            ["target"] = id,
        };
        await store.PutAsync(caller.TenantId, DocumentKinds.Audit, $"{now:yyyyMMddHHmmssfff}-{Guid.NewGuid():n}",
            JsonSerializer.SerializeToElement(record, ApiJsonContext.Wire.JsonObject), null, cancellationToken);
    }

    private async Task RefreshQuietlyAsync(string tenantId, CancellationToken cancellationToken)
    {
        try
        {
            await snapshots.RefreshAsync(tenantId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The write is committed; the refresher will pick it up. Decisions fail closed if the store stays unreadable.
        }
    }

    private readonly record struct AdminCall(Caller? Caller, JsonDocument? Document);

    private async Task<(AdminCall Call, IResult? Error)> BeginAsync(HttpContext context, bool readBody, CancellationToken cancellationToken)
    {
        RequestIds.Echo(context);
        var (caller, authError) = await authenticator.AuthenticateAsync(context, authOptions.Value.AdminRole, cancellationToken);
        if (authError is not null)
            return (default, authError);
        if (!readBody)
            return (new AdminCall(caller, null), null);
        var (document, bodyError) = await body.ReadAsync(context.Request, cancellationToken);
        return (new AdminCall(caller, document), bodyError);
    }
}
