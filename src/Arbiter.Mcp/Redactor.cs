using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace Arbiter.Mcp;

/// <summary>
/// Removes named fields, at any depth, from a tool result's structured content and JSON text content. A content block
/// it cannot read as JSON (plain text, images, embedded resources) is withheld, not passed through: an answer that
/// cannot be redacted does not leave the server.
/// </summary>
public static class Redactor
{
    public const string Withheld = "The answer was withheld: it could not be redacted as policy requires.";

    /// <summary>The redacted result, or null when some content could not be redacted (the caller then withholds it).</summary>
    public static CallToolResult? Apply(CallToolResult result, IReadOnlySet<string> fields)
    {
        if (fields.Count == 0)
            return result;
        if (result.StructuredContent is { } structured)
            result.StructuredContent = JsonSerializer.SerializeToElement(Strip(JsonNode.Parse(structured.GetRawText()), fields), McpJsonContext.Default.JsonNode);
        foreach (var block in result.Content)
        {
            if (block is not TextContentBlock text)
                return null;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text.Text);
            }
            catch (JsonException)
            {
                return null;
            }
            text.Text = Strip(node, fields)?.ToJsonString() ?? "null";
        }
        return result;
    }

    private static JsonNode? Strip(JsonNode? node, IReadOnlySet<string> fields)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).Where(fields.Contains).ToList())
                    obj.Remove(name);
                foreach (var (_, child) in obj)
                    Strip(child, fields);
                break;
            case JsonArray array:
                foreach (var child in array)
                    Strip(child, fields);
                break;
        }
        return node;
    }
}
