using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Directory;
using Arbiter.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// Directory items (admin role): users, groups, agents, MCP servers, tools, resources, and the tenant settings (id <c>tenant</c>). A write is checked against
/// its kind's JSON Schema and as the snapshot would read it (the same validation as import) before it is stored.
/// </summary>
public sealed class DirectoryHandlers(AdminDocuments documents)
{
    /// <summary>URL segment → document kind for the directory routes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Kinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["users"] = DocumentKinds.User,
        ["groups"] = DocumentKinds.Group,
        ["agents"] = DocumentKinds.Agent,
        ["mcp-servers"] = DocumentKinds.McpServer,
        ["tools"] = DocumentKinds.Tool,
        ["data-resources"] = DocumentKinds.DataResource,
        ["settings"] = DocumentKinds.Settings,
    };

    // The edge authenticates before the collection name is looked at, so strangers learn nothing (401, not 404).

    public async Task<Results<JsonHttpResult<DocumentListDto>, ProblemHttpResult>> ListAsync(HttpContext context, Caller caller, string collection, CancellationToken cancellationToken) =>
        Kinds.TryGetValue(collection, out var kind) ? await documents.ListAsync(context, caller, kind, cancellationToken) : UnknownCollection(collection);

    public async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> GetAsync(HttpContext context, Caller caller, string collection, string id, CancellationToken cancellationToken) =>
        Kinds.TryGetValue(collection, out var kind) ? await documents.GetAsync(context, caller, kind, id, cancellationToken) : UnknownCollection(collection);

    /// <summary>Creates (no If-Match) or replaces (If-Match required) a directory item.</summary>
    public async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> PutAsync(HttpContext context, Caller caller, JsonInput input, string collection, string id, CancellationToken cancellationToken)
    {
        if (!Kinds.TryGetValue(collection, out var kind))
            return UnknownCollection(collection);
        var node = JsonNode.Parse(input.Root.GetRawText())!.AsObject();
        if (node["id"] is { } bodyId && (bodyId.GetValueKind() != JsonValueKind.String || bodyId.GetValue<string>() != id))
            return Problems.BadRequest($"the body's id differs from the id in the URL '{id}'", "/id");
        node["id"] = id;
        var item = JsonSerializer.SerializeToElement(node, ApiJsonContext.Wire.JsonObject);
        if (DirectorySchemas.Validate(kind, item) is { Count: > 0 } invalid)
            return Problems.BadRequest($"the {kind} has {invalid.Count} problem(s): {invalid[0].Message}", invalid[0].Path, invalid.Select(ProblemDto.From));
        var check = TenantState.Empty.Apply([new SourceChange(kind, id, item)]);
        if (check.Rejected.Count > 0)
        {
            var problems = check.Rejected.Values.SelectMany(p => p).ToList();
            return Problems.BadRequest(problems[0].Message, problems[0].Path, problems.Select(ProblemDto.From));
        }
        var ifMatch = AdminDocuments.OptionalIfMatch(context);
        return await documents.WriteAsync(context, caller, kind, id, item, ifMatch, ifMatch is null ? "create" : "update", cancellationToken);
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, Caller caller, string collection, string id, CancellationToken cancellationToken)
    {
        if (!Kinds.TryGetValue(collection, out var kind))
            return UnknownCollection(collection);
        if (!AdminDocuments.TryIfMatch(context, out var ifMatch, out var missing))
            return missing!;
        return await documents.DeleteAsync(caller, kind, id, ifMatch!, cancellationToken);
    }

    private static ProblemHttpResult UnknownCollection(string collection) =>
        Problems.NotFound($"unknown collection '{collection}' (expected one of: {string.Join(", ", Kinds.Keys)})");
}
