using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Arbiter.Deployment.Tests;

/// <summary>A resource declared in the compiled ARM template, with the (module) template declaring it.</summary>
public sealed record TemplateResource(string Type, JsonObject Declaration, JsonObject Template)
{
    public string Name => Declaration["name"]?.GetValue<string>() ?? "";

    public JsonObject Properties => Declaration["properties"] as JsonObject ?? [];

    /// <summary>
    /// The node at <paramref name="path"/> under properties, following "[variables('x')]" references
    /// into the declaring template's variables.
    /// </summary>
    public JsonNode? Property(params string[] path)
    {
        JsonNode? node = Properties;
        foreach (var segment in path)
        {
            node = Resolve(node)?[segment];
        }
        return Resolve(node);
    }

    private JsonNode? Resolve(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text)
            && CompiledTemplate.VariableReference().Match(text) is { Success: true } match
            ? Template["variables"]?[match.Groups[1].Value]
            : node;
}

/// <summary>bicep/main.bicep compiled once (bicep build --stdout), modules inlined as nested templates.</summary>
public static partial class CompiledTemplate
{
    private static readonly Lazy<JsonObject> LazyMain = new(() => Compile("bicep/main.bicep"));

    public static JsonObject Main => LazyMain.Value;

    /// <summary>Every resource of the given type that the deployment creates (not "existing" lookups).</summary>
    public static IReadOnlyList<TemplateResource> Resources(string type)
    {
        var found = new List<TemplateResource>();
        Collect(Main, type, found);
        return found;
    }

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    internal static partial Regex VariableReference();

    private static JsonObject Compile(string file)
    {
        var result = BicepCli.Run("build", file, "--stdout");
        Assert.True(result.ExitCode == 0, $"bicep build {file} failed:\n{result.StdErr}");
        return JsonNode.Parse(result.StdOut) as JsonObject
            ?? throw new InvalidOperationException($"bicep build {file} did not print a JSON object.");
    }

    private static void Collect(JsonObject template, string type, List<TemplateResource> found)
    {
        // languageVersion 2.0 templates keep resources in an object keyed by symbolic name, 1.0 in an array.
        var declarations = template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject map => map.Select(pair => pair.Value).OfType<JsonObject>(),
            _ => [],
        };
        foreach (var declaration in declarations)
        {
            var declaredType = declaration["type"]?.GetValue<string>();
            if (declaration["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }
            if (string.Equals(declaredType, type, StringComparison.OrdinalIgnoreCase))
            {
                found.Add(new TemplateResource(declaredType!, declaration, template));
            }
            if (declaration["properties"]?["template"] is JsonObject nested)
            {
                Collect(nested, type, found);
            }
        }
    }
}
