using System.Text.Json;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// A JSON value of a request (its <c>context</c>) kept as its bytes, checked already, and made a document only when
/// something reads it — a condition, an explanation. Most decisions never do: a batch item's context is usually the
/// acting agent alone, which the reader has taken out already.
/// </summary>
public sealed class RequestJson(byte[] utf8)
{
    private JsonDocument? _document;

    public JsonElement Element => (Volatile.Read(ref _document) ?? Parse()).RootElement;

    private JsonDocument Parse()
    {
        var reader = new Utf8JsonReader(utf8);
        var document = JsonDocument.ParseValue(ref reader);
        return Interlocked.CompareExchange(ref _document, document, null) ?? document;
    }
}
