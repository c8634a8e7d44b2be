using System.Buffers;
using System.Text.Json;
using Arbiter.Engine.Decisions;
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
    /// <summary>A body's bytes, and the pooled array they are in when they are (given back once, by whoever owns them).</summary>
    public readonly struct RawBody(ReadOnlyMemory<byte> bytes, byte[]? rented)
    {
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;

        internal byte[]? Rented { get; } = rented;

        /// <summary>The same bytes without their array: for a second reading while another owner holds them.</summary>
        internal RawBody Borrowed() => new(Bytes, null);
    }

    public async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadBytesAsync(request, cancellationToken);
        return error is not null ? (null, error) : Parse(request, body);
    }

    /// <summary>
    /// The body's bytes, refused as <see cref="ReadAsync"/> refuses them before parsing (content type, size, empty).
    /// The caller owns them: it hands them to <see cref="Parse"/> or <see cref="Hold"/>.
    /// </summary>
    public async Task<(RawBody Body, IResult? Error)> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var contentType = request.ContentType;
        if (contentType is null || !IsJson(contentType))
            return (default, Problems.BadRequest("send the body as application/json (Content-Type)", "Content-Type"));
        if (request.ContentLength is { } length && length > limits.MaxBodyBytes)
            return (default, TooLarge(limits.MaxBodyBytes));

        var (bytes, rented, problem) = await ReadBytesAsync(request, limits.MaxBodyBytes, cancellationToken);
        if (problem is not null)
            return (default, Returned(rented, problem));
        if (bytes.Length == 0)
            return (default, Returned(rented, Problems.BadRequest("the request body is empty; send a JSON object", "")));
        return (new RawBody(bytes, rented), null);
    }

    /// <summary>
    /// The strict document of <paramref name="body"/>, or the problem that refuses it; either way the bytes are taken
    /// care of (held with the document until the response is done, or given back).
    /// </summary>
    public (JsonDocument? Document, IResult? Error) Parse(HttpRequest request, RawBody body)
    {
        var (bytes, rented) = (body.Bytes, body.Rented);
        var document = StrictJson.TryParse(bytes, options.Value.MaxJsonDepth, out var invalid);
        if (document is null)
            return (null, Returned(rented, Problems.BadRequest(invalid!.Value.Message, invalid.Value.Path)));
        IResult? refused = null;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            refused = Problems.BadRequest("the request body must be a JSON object", "");
        else if (MayHoldUndecodableString(bytes.Span) && FindUndecodableString(document.RootElement, "") is { } path)
            refused = Problems.BadRequest("a string holds an invalid \\u escape (such as a lone surrogate)", path);
        if (refused is not null)
        {
            document.Dispose();
            return (null, Returned(rented, refused));
        }
        if (rented is not null)
            request.HttpContext.Response.RegisterForDispose(new PooledBody(document, rented));
        return (document, null);
    }

    /// <summary>The evaluation <paramref name="body"/> read in one pass (<see cref="EvaluationBodyReader"/>), or null when it must be read the strict way.</summary>
    public EvaluationBody? TryReadEvaluation(RawBody body)
    {
        var bytes = body.Bytes.Span;
        return MayHoldUndecodableString(bytes) ? null : EvaluationBodyReader.TryRead(bytes, options.Value.MaxJsonDepth, options.Value.MaxBatchSize);
    }

    /// <summary>Keeps <paramref name="body"/>'s bytes until the response is done, then gives them back.</summary>
    public static void Hold(HttpRequest request, RawBody body)
    {
        if (body.Rented is { } rented)
            request.HttpContext.Response.RegisterForDispose(new PooledBody(null, rented));
    }

    private static IResult Returned(byte[]? rented, IResult problem)
    {
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
        return problem;
    }

    /// <summary>
    /// Disposes the document, then gives its bytes back to the pool. A disposed document refuses every read (it throws
    /// <see cref="ObjectDisposedException"/>), so nothing can read the array once another request has it.
    /// </summary>
    private sealed class PooledBody(JsonDocument? document, byte[] rented) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            document?.Dispose();
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The body's bytes, within <paramref name="max"/>. With a Content-Length (what every client sends) an array of that
    /// size from the pool is filled (a batch of 100 is ~25 KB: allocating and zeroing one per request was a visible share
    /// of the server's allocations); it goes back when the response is done (<see cref="PooledBody"/>). Without one
    /// (chunked) the body is read in chunks into an array of its own.
    /// </summary>
    private static async Task<(ReadOnlyMemory<byte> Body, byte[]? Rented, IResult? Problem)> ReadBytesAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared and > 0)
        {
            var rented = ArrayPool<byte>.Shared.Rent((int)declared);
            var filled = 0;
            try
            {
                while (filled < declared)
                {
                    var n = await request.Body.ReadAsync(rented.AsMemory(filled, (int)declared - filled), cancellationToken);
                    if (n == 0)
                        break; // Kestrel throws for a body cut short (a 400 at the edge); another host's short body is parsed as it came
                    filled += n;
                }
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw;
            }
            return (rented.AsMemory(0, filled), rented, null);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
                return (default, null, TooLarge(max));
            buffer.Write(chunk, 0, read);
        }
        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null, null);
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
