using System.Collections.Frozen;
using System.Text.Json;
using Arbiter.Engine.Policies;
using Arbiter.Store;
using Json.Schema;

namespace Arbiter.Runtime.Directory;

/// <summary>
/// The JSON Schema of each directory document kind (<c>schemas/*.schema.json</c>, compiled in), checked on every write
/// that comes from outside — the admin API, tenant import, the seed, the CLI — so a wrongly typed safety fact
/// (<c>"enabled":"false"</c>) is refused with its path instead of being stored. Cross-field rules stay in code
/// (the engine's fact reader); whatever is stored anyway is read at its most restrictive.
/// </summary>
public static class DirectorySchemas
{
    private static readonly FrozenDictionary<string, JsonSchema> Schemas = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [DocumentKinds.User] = "user",
        [DocumentKinds.Group] = "group",
        [DocumentKinds.Agent] = "agent",
        [DocumentKinds.McpServer] = "mcp-server",
        [DocumentKinds.Tool] = "tool",
        [DocumentKinds.DataResource] = "data-resource",
        [DocumentKinds.Settings] = "settings",
    }.ToFrozenDictionary(k => k.Key, k => Load(k.Value), StringComparer.Ordinal);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

    /// <summary>The problems of <paramref name="body"/> as a <paramref name="kind"/> document (paths are JSON Pointers into it); none for other kinds.</summary>
    public static IReadOnlyList<Problem> Validate(string kind, JsonElement body)
    {
        if (!Schemas.TryGetValue(kind, out var schema))
            return [];
        var results = schema.Evaluate(body, Options);
        if (results.IsValid)
            return [];
        var problems = new List<Problem>();
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } errors)
                continue;
            var path = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in errors)
                problems.Add(new Problem(path, $"{message} ({keyword})"));
        }
        if (problems.Count == 0)
            problems.Add(new Problem("", $"the document is not a valid {kind}"));
        return [.. problems.DistinctBy(p => (p.Path, p.Message))];
    }

    private static JsonSchema Load(string name)
    {
        using var stream = typeof(DirectorySchemas).Assembly.GetManifestResourceStream($"schemas/{name}.schema.json")
            ?? throw new InvalidOperationException($"schema '{name}' is not compiled in");
        using var reader = new StreamReader(stream);
        // A registry of its own: the schemas' $ids never collide with another build in the same process.
        return JsonSchema.FromText(reader.ReadToEnd(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
