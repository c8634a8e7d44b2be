using System.Text.Json;
using Arbiter.Engine.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Http;

/// <summary>
/// Reads a JSON request body within the configured limits: content type (400, as AuthZEN 1.0 certification requires), size (413), nesting depth, syntax and
/// duplicate member names (400, I-JSON: see <see cref="StrictJson"/>). The caller owns the returned document.
/// </summary>
public sealed class JsonBody(IOptions<ArbiterOptions> options)
{
    public async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var contentType = request.ContentType;
        if (contentType is null || !IsJson(contentType))
            return (null, Problems.BadRequest("send the body as application/json (Content-Type)", "Content-Type"));
        if (request.ContentLength is { } length && length > limits.MaxBodyBytes)
            return (null, TooLarge(limits.MaxBodyBytes));

        var (body, problem) = await ReadBytesAsync(request, limits.MaxBodyBytes, cancellationToken);
        if (problem is not null)
            return (null, problem);
        if (body.Length == 0)
            return (null, Problems.BadRequest("the request body is empty; send a JSON object", ""));
        var document = StrictJson.TryParse(body, limits.MaxJsonDepth, out var invalid);
        if (document is null)
            return (null, Problems.BadRequest(invalid!.Value.Message, invalid.Value.Path));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, Problems.BadRequest("the request body must be a JSON object", ""));
        }
        if (MayHoldUndecodableString(body.Span) && FindUndecodableString(document.RootElement, "") is { } path)
        {
            document.Dispose();
            return (null, Problems.BadRequest("a string holds an invalid \\u escape (such as a lone surrogate)", path));
        }
        return (document, null);
    }

    /// <summary>
    /// The body's bytes, within <paramref name="max"/>. With a Content-Length (what every client sends) one array of that
    /// size is filled; without one (chunked) the body is read in chunks. The document keeps the array, so it is not pooled.
    /// </summary>
    private static async Task<(ReadOnlyMemory<byte> Body, IResult? Problem)> ReadBytesAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            var filled = 0;
            while (filled < exact.Length)
            {
                var n = await request.Body.ReadAsync(exact.AsMemory(filled), cancellationToken);
                if (n == 0)
                    break; // Kestrel throws for a body cut short (a 400 at the edge); another host's short body is parsed as it came
                filled += n;
            }
            return (exact.AsMemory(0, filled), null);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
                return (default, TooLarge(max));
            buffer.Write(chunk, 0, read);
        }
        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);
    }

    /// <summary>
    /// Whether a string of the body may fail to become a .NET string: the bytes are not valid UTF-8, or a <c>\u</c>
    /// escape names a surrogate (U+D800–U+DFFF, of which a lone one cannot be decoded). False for nearly every body, so the
    /// walk below runs only when it can find something.
    /// </summary>
    private static bool MayHoldUndecodableString(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
            return true;
        for (var at = utf8.IndexOf("\\u"u8); at >= 0; )
        {
            var rest = utf8[(at + 2)..];
            if (rest.Length >= 2 && (rest[0] | 0x20) == 'd' && IsSurrogateSecondDigit(rest[1]))
                return true;
            var next = rest.IndexOf("\\u"u8);
            at = next < 0 ? -1 : at + 2 + next;
        }
        return false;
    }

    private static bool IsSurrogateSecondDigit(byte b) => b is (byte)'8' or (byte)'9' || (b | 0x20) is >= 'a' and <= 'f';

    /// <summary>
    /// The reader accepts escapes such as a lone surrogate (\ud800) that cannot become a .NET string; reading one later
    /// would throw. One walk here turns that into a 400 for every handler.
    /// </summary>
    private static string? FindUndecodableString(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return TryDecode(element) ? null : path;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindUndecodableString(item, $"{path}/{i++}") is { } found)
                        return found;
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path + "/?";
                    }
                    if (FindUndecodableString(property.Value, $"{path}/{name}") is { } found)
                        return found;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool TryDecode(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static IResult TooLarge(int max) =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"the body exceeds the limit of {max} bytes");
}
