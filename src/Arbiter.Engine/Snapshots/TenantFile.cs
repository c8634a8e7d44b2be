using System.Text.Json;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// The import/export format of a whole tenant: <c>{"format":"arbiter-tenant/1","policies":[...],"users":[...],
/// "groups":[...],"agents":[...],"mcpServers":[...],"tools":[...],"dataResources":[...],"settings":{...}}</c>; every
/// item has an "id"; <c>settings</c> is the one tenant settings document (its id is implied).
/// </summary>
public static class TenantFile
{
    public const string Format = "arbiter-tenant/1";

    /// <summary>Section name in the file → document kind.</summary>
    public static readonly IReadOnlyList<(string Section, string Kind)> Sections =
    [
        ("users", SourceKinds.User),
        ("groups", SourceKinds.Group),
        ("agents", SourceKinds.Agent),
        ("mcpServers", SourceKinds.McpServer),
        ("tools", SourceKinds.Tool),
        ("dataResources", SourceKinds.DataResource),
        ("policies", SourceKinds.Policy),
    ];

    /// <summary>Reads the documents of a tenant file; problems (path + message) for items that cannot be read.</summary>
    public static IReadOnlyList<SourceChange> Read(JsonElement root, List<Policies.Problem> problems)
    {
        var changes = new List<SourceChange>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new("", "a tenant file must be a JSON object"));
            return changes;
        }
        if (root.TryGetProperty("format", out var format) && (format.ValueKind != JsonValueKind.String || format.GetString() != Format))
            problems.Add(new("/format", $"unsupported format '{format}' (expected '{Format}')"));
        if (root.TryGetProperty("settings", out var settings))
        {
            if (settings.ValueKind != JsonValueKind.Object)
                problems.Add(new("/settings", "must be an object"));
            else if (settings.TryGetProperty("id", out var settingsId) && !(settingsId.ValueKind == JsonValueKind.String && settingsId.GetString() == Directory.TenantSettings.DocumentId))
                problems.Add(new("/settings/id", $"the settings document's id is '{Directory.TenantSettings.DocumentId}'"));
            else
                changes.Add(new SourceChange(SourceKinds.Settings, Directory.TenantSettings.DocumentId, settings.Clone()));
        }
        foreach (var (section, kind) in Sections)
        {
            if (!root.TryGetProperty(section, out var items))
                continue;
            if (items.ValueKind != JsonValueKind.Array)
            {
                problems.Add(new("/" + section, "must be an array"));
                continue;
            }
            var i = 0;
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } text)
                    changes.Add(new SourceChange(kind, text, item.Clone()));
                else
                    problems.Add(new($"/{section}/{i}/id", "every item needs a non-empty string 'id'"));
                i++;
            }
        }
        return changes;
    }
}
