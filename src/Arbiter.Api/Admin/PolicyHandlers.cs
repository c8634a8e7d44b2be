using System.Globalization;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Engine.Policies;
using Arbiter.Runtime.Policies;
using Arbiter.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// Policies (admin role): validate, list, read, create, update with If-Match, delete, versions, rollback. Every saved
/// state is a version, recorded before the policy itself (<see cref="PolicyVersions"/>).
/// </summary>
public sealed class PolicyHandlers(AdminDocuments documents, PolicyVersions versions)
{
    public static JsonHttpResult<ValidationDto> Validate(JsonInput input)
    {
        var result = PolicyParser.Parse(input.Root);
        return TypedResults.Json(new ValidationDto(result.IsValid, [.. result.Problems.Select(ProblemDto.From)]), ApiJsonContext.Wire.ValidationDto);
    }

    public Task<Results<JsonHttpResult<DocumentListDto>, ProblemHttpResult>> ListAsync(HttpContext context, Caller caller, CancellationToken cancellationToken) =>
        documents.ListAsync(context, caller, DocumentKinds.Policy, cancellationToken);

    public Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> GetAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        documents.GetAsync(context, caller, DocumentKinds.Policy, id, cancellationToken);

    public Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> CreateAsync(HttpContext context, Caller caller, JsonInput input, CancellationToken cancellationToken) =>
        SaveAsync(context, caller, input, null, cancellationToken);

    public Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> UpdateAsync(HttpContext context, Caller caller, JsonInput input, string id, CancellationToken cancellationToken) =>
        SaveAsync(context, caller, input, id, cancellationToken);

    private async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> SaveAsync(HttpContext context, Caller caller, JsonInput input, string? routeId, CancellationToken cancellationToken)
    {
        var parsed = PolicyParser.Parse(input.Root);
        if (!parsed.IsValid)
            return Problems.BadRequest($"the policy has {parsed.Problems.Count} problem(s)", parsed.Problems[0].Path, parsed.Problems.Select(ProblemDto.From));
        var id = parsed.Policy!.Id;
        if (routeId is not null && routeId != id)
            return Problems.BadRequest($"the policy id '{id}' differs from the id in the URL '{routeId}'", "/id");
        string? ifMatch = null;
        if (routeId is not null && !AdminDocuments.TryIfMatch(context, out ifMatch, out var missing))
            return missing!;
        var change = routeId is null ? "create" : "update";
        var body = input.Root.Clone();
        return await documents.WriteAsync(context, caller, DocumentKinds.Policy, id, body, ifMatch, change, cancellationToken,
            () => versions.SaveAsync(caller.TenantId, id, body, ifMatch, change, caller.Id, cancellationToken));
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!AdminDocuments.TryIfMatch(context, out var ifMatch, out var missing))
            return missing!;
        return await documents.DeleteAsync(caller, DocumentKinds.Policy, id, ifMatch!, cancellationToken,
            () => versions.DeleteAsync(caller.TenantId, id, ifMatch!, caller.Id, cancellationToken));
    }

    public async Task<Results<JsonHttpResult<List<PolicyVersion>>, ProblemHttpResult>> VersionsAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var list = await versions.ListAsync(caller.TenantId, id, cancellationToken);
        if (list.Count == 0)
            return Problems.NotFound($"policy '{id}' has no history");
        return TypedResults.Json(list.ToList(), ApiJsonContext.Wire.ListPolicyVersion);
    }

    /// <summary>Rolls back to <c>?version=N</c>: that version's content becomes the newest version (history is never rewritten).</summary>
    public async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> RollbackAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!int.TryParse(context.Request.Query["version"], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return Problems.BadRequest("give the version to roll back to as ?version=N", "version");
        var target = (await versions.ListAsync(caller.TenantId, id, cancellationToken)).FirstOrDefault(v => v.Version == version);
        if (target is null)
            return Problems.NotFound($"policy '{id}' has no version {version}");
        if (target.Policy is not { } policy)
            return Problems.BadRequest($"version {version} of policy '{id}' is a deletion; roll back to a version with content", "version");
        var ifMatch = AdminDocuments.OptionalIfMatch(context) ?? "*";
        var change = $"rollback to {version}";
        return await documents.WriteAsync(context, caller, DocumentKinds.Policy, id, policy, ifMatch, change, cancellationToken,
            () => versions.SaveAsync(caller.TenantId, id, policy, ifMatch, change, caller.Id, cancellationToken));
    }
}
