using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Api.Http;
using Arbiter.Runtime.Directory;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Schemas;

/// <summary>
/// The JSON Schemas of Arbiter's documents (policy, tenant file, each directory document, policy test file) at
/// <c>GET /schemas/{name}</c>, public like the AuthZEN configuration. The files are those of the repository's
/// <c>schemas/</c> folder, compiled into the runtime; each is served with its <c>$id</c> set to the URL it is served
/// at (under <see cref="ArbiterOptions.PublicBaseUrl"/>), so the id resolves and the relative <c>$ref</c>s between the
/// schemas resolve against it.
/// </summary>
public sealed class SchemaHandler(IOptions<ArbiterOptions> options)
{
    public const string Route = "schemas/{name}";
    public const string ContentType = "application/schema+json";

    private static readonly FrozenDictionary<string, string> Files = LoadAll();

    // The schemas are documentation too: keep their quotes and apostrophes readable.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The names served (<c>policy.schema.json</c>, ...).</summary>
    public static IReadOnlyCollection<string> Names => Files.Keys;

    public Results<ContentHttpResult, ProblemHttpResult> Get(string name)
    {
        if (!Files.TryGetValue(name, out var text))
            return Problems.NotFound($"no schema '{name}' (there are: {string.Join(", ", Files.Keys.Order(StringComparer.Ordinal))})");
        var document = JsonNode.Parse(text)!.AsObject();
        document["$id"] = $"{options.Value.PublicBaseUrl.TrimEnd('/')}/schemas/{name}";
        return TypedResults.Content(document.ToJsonString(Indented), ContentType);
    }

    private static FrozenDictionary<string, string> LoadAll()
    {
        var assembly = typeof(DirectorySchemas).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("schemas/", StringComparison.Ordinal) && n.EndsWith(".schema.json", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            files[resource["schemas/".Length..]] = reader.ReadToEnd();
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
