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

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limits.MaxBodyBytes)
                return (null, TooLarge(limits.MaxBodyBytes));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            return (null, Problems.BadRequest("the request body is empty; send a JSON object", ""));
        var document = StrictJson.TryParse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), limits.MaxJsonDepth, out var problem);
        if (document is null)
            return (null, Problems.BadRequest(problem!.Value.Message, problem.Value.Path));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, Problems.BadRequest("the request body must be a JSON object", ""));
        }
        if (FindUndecodableString(document.RootElement, "") is { } path)
        {
            document.Dispose();
            return (null, Problems.BadRequest("a string holds an invalid \\u escape (such as a lone surrogate)", path));
        }
        return (document, null);
    }

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
