using System.Text.Json;
using Arbiter.Engine.Json;

namespace Arbiter.Cli;

/// <summary>
/// Reads a JSON document from a file with the engine's strict rules (a member name given twice is refused). A file that
/// cannot be read and a file that is not valid JSON are different outcomes: the first stops a command (exit 2), the
/// second is a problem in the document, named by its JSON Pointer.
/// </summary>
internal static class JsonFile
{
    /// <summary>The document, or null with either <paramref name="unreadable"/> (one line) or <paramref name="invalid"/> set.</summary>
    public static JsonDocument? TryRead(string path, out string? unreadable, out (string Pointer, string Message)? invalid)
    {
        unreadable = null;
        invalid = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            unreadable = $"cannot read {path}: {e.Message}";
            return null;
        }
        var document = StrictJson.TryParse(bytes, StrictJson.DefaultMaxDepth, out var problem);
        if (document is null)
            invalid = problem;
        return document;
    }

    /// <summary>A place in a file as a URI fragment JSON Pointer (RFC 6901 §6): <c>policy.json#/condition</c>.</summary>
    public static string Place(string path, string pointer) => $"{path}#{pointer}";
}
