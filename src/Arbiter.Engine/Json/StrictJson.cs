using System.Text;
using System.Text.Json;

namespace Arbiter.Engine.Json;

/// <summary>
/// Strict JSON for every document Arbiter accepts (requests, policies, directory documents, tenant files, the seed):
/// I-JSON (RFC 7493) — a member name given twice in one object is refused, because readers disagree on which one
/// counts (a policy that reads "forbid" must not enforce "permit") — within a nesting bound. Problems name the place
/// as a JSON Pointer.
/// </summary>
public static class StrictJson
{
    public const int DefaultMaxDepth = 64;

    /// <summary>Parses, or returns null with the problem (path, message).</summary>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> utf8, int maxDepth, out (string Path, string Message)? problem)
    {
        problem = null;
        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            if (FindDuplicate(utf8.Span, maxDepth) is { } duplicate)
                problem = (duplicate, $"the member '{LastSegment(duplicate)}' appears more than once in its object; each name may appear once (I-JSON)");
            else if (e.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
                problem = ("", $"the JSON is nested deeper than the limit of {maxDepth} levels");
            else
                problem = ("", $"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
            return null;
        }
    }

    /// <summary>Parses or throws <see cref="JsonException"/> whose message names the problem (for files: seed, CLI import).</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, int maxDepth = DefaultMaxDepth) =>
        TryParse(utf8, maxDepth, out var problem)
        ?? throw new JsonException(problem!.Value.Path.Length == 0 ? problem.Value.Message : $"{problem.Value.Path}: {problem.Value.Message}");

    /// <summary>The JSON Pointer of the first member whose name repeats in its object, or null. Iterative (no recursion).</summary>
    public static string? FindDuplicate(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        // One frame per open container: the names seen (objects only), the path to it, the next array index.
        var names = new Stack<HashSet<string>?>();
        var paths = new Stack<string>();
        var indexes = new Stack<int>();
        string? pendingName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        if (!names.Peek()!.Add(name))
                            return paths.Peek() + "/" + Escape(name);
                        pendingName = name;
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        var path = ChildPath(paths, indexes, ref pendingName);
                        paths.Push(path);
                        names.Push(reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null);
                        indexes.Push(0);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        paths.Pop();
                        names.Pop();
                        indexes.Pop();
                        break;
                    default:
                        _ = ChildPath(paths, indexes, ref pendingName);
                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not a duplicate: the parser's own message says what is wrong
        }
        return null;
    }

    private static string ChildPath(Stack<string> paths, Stack<int> indexes, ref string? pendingName)
    {
        if (paths.Count == 0)
            return "";
        if (pendingName is { } n)
        {
            pendingName = null;
            return paths.Peek() + "/" + Escape(n);
        }
        var i = indexes.Pop();
        indexes.Push(i + 1);
        return paths.Peek() + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string LastSegment(string pointer)
    {
        var last = pointer[(pointer.LastIndexOf('/') + 1)..];
        return new StringBuilder(last).Replace("~1", "/").Replace("~0", "~").ToString();
    }
}
