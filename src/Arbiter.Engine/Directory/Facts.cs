using System.Collections.Frozen;
using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Directory;

/// <summary>A user as the directory knows it. Attributes feed policy conditions.</summary>
public sealed record UserFact(string Id, bool Enabled, IReadOnlyDictionary<string, object?> Attributes, string? DisplayName = null);

/// <summary>A group and its direct members; nested groups count transitively.</summary>
public sealed record GroupFact(string Id, IReadOnlyList<string> MemberUsers, IReadOnlyList<string> MemberGroups, string? DisplayName = null);

public sealed record AgentFact(
    string Id,
    bool Enabled,
    bool Suspended,
    string? Owner,
    IReadOnlyList<string> Sponsors,
    FrozenSet<string> Tags,
    string? BlueprintId,
    string Source,
    IReadOnlyDictionary<string, object?> Attributes,
    string? DisplayName = null)
{
    public bool Active => Enabled && !Suspended;
}

public sealed record McpServerFact(string Id, Sensitivity Sensitivity, FrozenSet<string> Tags, string? DisplayName = null);

public sealed record ToolFact(string Id, string Server, Sensitivity Sensitivity, FrozenSet<string> Tags, IReadOnlyDictionary<string, object?> Attributes, string? DisplayName = null);

/// <summary>
/// A registered resource of any type but the closed inventory (tools, MCP servers, agents) and users: datasets, tables,
/// documents, fields, classifications, and whatever else a tenant decides about (records, routes, todos).
/// </summary>
public sealed record DataResourceFact(string Id, string Type, Sensitivity Classification, FrozenSet<string> Tags, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>Reads directory documents (docs/documents.md) into facts. Never throws: a malformed document is reported and skipped.</summary>
public static class FactReader
{
    /// <summary>The data types Arbiter has always known; a directory resource may be of any other type too.</summary>
    public static readonly FrozenSet<string> DataResourceTypes =
        FrozenSet.ToFrozenSet(["dataset", "table", "document", "field", "classification"], StringComparer.Ordinal);

    /// <summary>Whether a directory resource may have this type (the others have collections of their own).</summary>
    public static bool IsDataResourceType(string type) =>
        EntityTypes.IsValid(type) && !ResourceTypes.IsClosed(type) && type != ResourceTypes.User;

    public static UserFact? ReadUser(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        return error is null ? new UserFact(id, Safety(body, "enabled", whenAbsent: true, unreadable: false), Attributes(body), Str(body, "displayName")) : null;
    }

    public static GroupFact? ReadGroup(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        return error is null ? new GroupFact(id, Strings(body, "memberUsers"), Strings(body, "memberGroups"), Str(body, "displayName")) : null;
    }

    public static AgentFact? ReadAgent(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        if (error is not null)
            return null;
        return new AgentFact(
            id,
            Safety(body, "enabled", whenAbsent: true, unreadable: false),
            Safety(body, "suspended", whenAbsent: false, unreadable: true),
            Str(body, "owner"),
            Strings(body, "sponsors"),
            Strings(body, "tags").ToFrozenSet(StringComparer.Ordinal),
            Str(body, "blueprintId"),
            Str(body, "source") ?? "arbiter",
            Attributes(body),
            Str(body, "displayName"));
    }

    public static McpServerFact? ReadServer(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        return error is null
            ? new McpServerFact(id, Level(body, "sensitivity", Sensitivity.Public), Strings(body, "tags").ToFrozenSet(StringComparer.Ordinal), Str(body, "displayName"))
            : null;
    }

    public static ToolFact? ReadTool(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        var server = error is null ? Str(body, "server") : null;
        if (error is null && string.IsNullOrEmpty(server))
            error = "a tool needs its 'server'";
        if (error is not null)
            return null;
        // An unlabelled tool counts as restricted: fail closed.
        return new ToolFact(id, server!, Level(body, "sensitivity", Sensitivity.Restricted),
            Strings(body, "tags").ToFrozenSet(StringComparer.Ordinal), Attributes(body), Str(body, "displayName"));
    }

    public static DataResourceFact? ReadDataResource(string id, JsonElement body, out string? error)
    {
        error = Check(body);
        var type = error is null ? Str(body, "type") : null;
        if (error is null && (type is null || !IsDataResourceType(type)))
            error = $"a resource needs a 'type' ({EntityTypes.Rule}; not tool, mcp_server, agent or user, which have collections of their own)";
        if (error is not null)
            return null;
        return new DataResourceFact(id, type!, Level(body, "classification", Sensitivity.Restricted),
            Strings(body, "tags").ToFrozenSet(StringComparer.Ordinal), Attributes(body));
    }

    private static string? Check(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object ? null : "the document body must be a JSON object";

    private static string? Str(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>
    /// A safety fact (enabled, suspended) that is present but unreadable — <c>"false"</c> as a string, a number, null —
    /// takes its most restrictive value: a fact we cannot read must never grant.
    /// </summary>
    private static bool Safety(JsonElement body, string name, bool whenAbsent, bool unreadable) =>
        !body.TryGetProperty(name, out var v) ? whenAbsent : v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => unreadable,
        };

    /// <summary>A sensitivity that is present but not a known name (or not a string) is the most sensitive.</summary>
    private static Sensitivity Level(JsonElement body, string name, Sensitivity whenAbsent) =>
        !body.TryGetProperty(name, out var v) ? whenAbsent
        : v.ValueKind == JsonValueKind.String ? SensitivityNames.ParseOrRestricted(v.GetString()!)
        : Sensitivity.Restricted;

    private static string[] Strings(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];

    private static IReadOnlyDictionary<string, object?> Attributes(JsonElement body) =>
        body.TryGetProperty("attributes", out var v) && v.ValueKind == JsonValueKind.Object
            ? CelValues.FromObject(v)
            : FrozenDictionary<string, object?>.Empty;
}

/// <summary>Converts JSON into the values CEL expects (maps, lists, long, double, string, bool, null).</summary>
public static class CelValues
{
    public static Dictionary<string, object?> FromObject(JsonElement element)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object)
            return map;
        foreach (var property in element.EnumerateObject())
            map[property.Name] = From(property.Value);
        return map;
    }

    public static object? From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => FromObject(element),
        JsonValueKind.Array => element.EnumerateArray().Select(From).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
