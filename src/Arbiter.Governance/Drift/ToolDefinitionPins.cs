using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Governance.Drift;

/// <summary>
/// Tool-definition pinning (the "rug pull" defence): the first definition an enforcement point reports for a server's
/// tool is pinned with its hash; a later, different definition marks the tool <c>changed</c> and opens a
/// <see cref="FindingKinds.ToolDefinitionChanged"/> finding (severity high) until a reviewer approves the new
/// definition, which pins it and resolves the finding. A server that goes back to the pinned definition is pinned again.
/// The hash is SHA-256 over the canonical JSON of name, description and input schema (object keys sorted), so key
/// order or whitespace in the server's answer is not a change.
/// </summary>
public sealed class ToolDefinitionPins(IDocumentStore store, TimeProvider time)
{
    public const string Kind = "toolDefinition";

    /// <summary>The <c>agentId</c> of a tool-definition finding: the server, since the change is the server's, not an agent's.</summary>
    public static string FindingOwner(string server) => "mcp-server:" + server;

    public static string DocumentId(string server, string tool) => server + "/" + tool;

    /// <summary>Records what the server lists now and answers each tool's state, in order.</summary>
    public async Task<IReadOnlyList<ToolPinState>> ObserveAsync(string tenantId, string server, IReadOnlyList<ObservedTool> tools, CancellationToken cancellationToken)
    {
        var ids = tools.Select(t => DocumentId(server, t.Name)).Distinct(StringComparer.Ordinal).ToList();
        var existing = await store.GetManyAsync(tenantId, Kind, ids, cancellationToken: cancellationToken);
        var now = time.GetUtcNow();
        var states = new List<ToolPinState>(tools.Count);
        foreach (var tool in tools)
        {
            var definition = Canonical(tool);
            var hash = Hash(definition);
            var id = DocumentId(server, tool.Name);
            var record = existing.TryGetValue(id, out var document) ? Read(document) : null;
            if (record is null)
            {
                record = new ToolDefinitionRecord
                {
                    Server = server, Tool = tool.Name, State = ToolDefinitionStates.Pinned, PinnedHash = hash,
                    PinnedDefinition = definition, FirstSeen = now,
                };
                await PutAsync(tenantId, id, record, document?.ETag, cancellationToken);
            }
            else if (record.PinnedHash == hash && record.State != ToolDefinitionStates.Pinned)
            {
                record = record with { State = ToolDefinitionStates.Pinned, ObservedHash = null, ObservedDefinition = null };
                await PutAsync(tenantId, id, record, document!.ETag, cancellationToken);
                await ResolveFindingAsync(tenantId, record, "the server went back to the approved definition", now, cancellationToken);
            }
            else if (record.PinnedHash != hash && record.ObservedHash != hash)
            {
                var findingId = FindingKinds.FindingId(FindingOwner(server), FindingKinds.ToolDefinitionChanged, tool.Name);
                record = record with { State = ToolDefinitionStates.Changed, ObservedHash = hash, ObservedDefinition = definition, ChangedAt = now, FindingId = findingId };
                await PutAsync(tenantId, id, record, document!.ETag, cancellationToken);
                await OpenFindingAsync(tenantId, record, findingId, now, cancellationToken);
            }
            states.Add(new ToolPinState(tool.Name, record.State, hash, record.PinnedHash));
        }
        return states;
    }

    /// <summary>Every pinned tool of the tenant (optionally of one server), in id order.</summary>
    public async Task<IReadOnlyList<ToolDefinitionRecord>> ListAsync(string tenantId, string? server, CancellationToken cancellationToken)
    {
        var result = new List<ToolDefinitionRecord>();
        await foreach (var document in store.ListAllAsync(tenantId, Kind, 1000, cancellationToken))
        {
            if (Read(document) is { } record && (server is null || record.Server == server))
                result.Add(record);
        }
        return result;
    }

    /// <summary>Pins the definition seen last (a reviewer's approval); null when the tool is unknown, unchanged when nothing changed.</summary>
    public async Task<ToolDefinitionRecord?> ApproveAsync(string tenantId, string server, string tool, string actor, CancellationToken cancellationToken)
    {
        var id = DocumentId(server, tool);
        var document = await store.GetAsync(tenantId, Kind, id, cancellationToken: cancellationToken);
        if (Read(document) is not { } record)
            return null;
        if (record.State != ToolDefinitionStates.Changed || record.ObservedDefinition is not { } observed)
            return record;
        var now = time.GetUtcNow();
        var approved = record with
        {
            State = ToolDefinitionStates.Pinned, PinnedHash = record.ObservedHash!, PinnedDefinition = observed,
            ObservedHash = null, ObservedDefinition = null, ApprovedBy = actor, ApprovedAt = now,
        };
        await PutAsync(tenantId, id, approved, document!.ETag, cancellationToken);
        await ResolveFindingAsync(tenantId, record, $"approved by {actor}", now, cancellationToken);
        return approved;
    }

    private async Task OpenFindingAsync(string tenantId, ToolDefinitionRecord record, string findingId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var previous = await store.GetAsync(tenantId, DocumentKinds.Finding, findingId, cancellationToken: cancellationToken);
        var firstSeen = previous is null ? now : (Finding(previous)?.FirstSeen ?? now);
        var finding = new FindingRecord
        {
            Id = findingId,
            AgentId = FindingOwner(record.Server),
            Kind = FindingKinds.ToolDefinitionChanged,
            Subject = record.Tool,
            Severity = DriftDetector.Severity(FindingKinds.DefaultSeverity(FindingKinds.ToolDefinitionChanged)),
            State = FindingStates.Open,
            FirstSeen = firstSeen,
            LastSeen = now,
            Detail = $"MCP server '{record.Server}' now describes tool '{record.Tool}' differently from its approved definition (hash {record.PinnedHash[..12]} → {record.ObservedHash![..12]}); approve it with POST /manage/v1/tool-definitions/{record.Server}/{record.Tool}/approve",
        };
        await store.PutAsync(tenantId, DocumentKinds.Finding, findingId, JsonSerializer.SerializeToElement(finding, ToolDefinitionJsonContext.Default.FindingRecord), "*", cancellationToken);
    }

    private async Task ResolveFindingAsync(string tenantId, ToolDefinitionRecord record, string resolution, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (record.FindingId is null)
            return;
        var document = await store.GetAsync(tenantId, DocumentKinds.Finding, record.FindingId, cancellationToken: cancellationToken);
        if (Finding(document) is not { State: FindingStates.Open } finding)
            return;
        var resolved = finding with { State = FindingStates.Resolved, ResolvedAt = now, Resolution = resolution, LastSeen = now };
        await store.PutAsync(tenantId, DocumentKinds.Finding, finding.Id, JsonSerializer.SerializeToElement(resolved, ToolDefinitionJsonContext.Default.FindingRecord), "*", cancellationToken);
    }

    private Task PutAsync(string tenantId, string id, ToolDefinitionRecord record, string? etag, CancellationToken cancellationToken) =>
        // Two gateways seeing the same change race on the ETag; the loser's write fails and its caller fails closed.
        store.PutAsync(tenantId, Kind, id, JsonSerializer.SerializeToElement(record, ToolDefinitionJsonContext.Default.ToolDefinitionRecord), etag, cancellationToken);

    private static ToolDefinitionRecord? Read(StoredDocument? document) =>
        GovernanceDocuments.Read(document, ToolDefinitionJsonContext.Default.ToolDefinitionRecord);

    private static FindingRecord? Finding(StoredDocument? document) =>
        GovernanceDocuments.Read(document, ToolDefinitionJsonContext.Default.FindingRecord);

    /// <summary>The definition as pinned: name, description, input schema, with every object's keys in ordinal order.</summary>
    public static JsonElement Canonical(ObservedTool tool)
    {
        var node = new JsonObject
        {
            ["description"] = tool.Description,
            ["inputSchema"] = tool.InputSchema is { } schema ? Sorted(JsonNode.Parse(schema.GetRawText())) : null,
            ["name"] = tool.Name,
        };
        return JsonSerializer.SerializeToElement(node, ToolDefinitionJsonContext.Default.JsonObject);
    }

    public static string Hash(JsonElement canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.GetRawText())));

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray([.. array.Select(i => Sorted(i?.DeepClone()))]),
        _ => node?.DeepClone(),
    };
}
