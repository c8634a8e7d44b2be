using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// The opaque change-feed cursor: base64url JSON. <c>feed</c>: one SDK continuation per container. <c>poll</c>: the highest
/// <c>_ts</c> seen and the ETags already delivered inside the overlap window.
/// </summary>
internal sealed record CosmosCursor(
    [property: JsonPropertyName("m")] string Mode,
    [property: JsonPropertyName("t")] Dictionary<string, string>? Tokens,
    [property: JsonPropertyName("s")] long Since,
    [property: JsonPropertyName("e")] List<string>? Seen)
{
    public const string FeedMode = "feed";
    public const string PollMode = "poll";

    public static CosmosCursor ForFeed(Dictionary<string, string> tokens) => new(FeedMode, tokens, 0, null);

    public static CosmosCursor ForPolling(long since, List<string> seen) => new(PollMode, null, since, seen);

    public static string Encode(CosmosCursor cursor) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(cursor, CosmosCursorJsonContext.Default.CosmosCursor));

    public static CosmosCursor Decode(string cursor)
    {
        try
        {
            var decoded = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(cursor), CosmosCursorJsonContext.Default.CosmosCursor);
            return decoded switch
            {
                { Mode: FeedMode, Tokens: not null } => decoded,
                { Mode: PollMode, Seen: not null } => decoded,
                _ => throw new ArgumentException("Not a cursor of this store.", nameof(cursor)),
            };
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new ArgumentException("Not a cursor of this store.", nameof(cursor), ex);
        }
    }

    public static string EncodeContinuation(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastId));

    public static string DecodeContinuation(string? continuation)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            return "";
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(continuation));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("Not a continuation of this store.", nameof(continuation), ex);
        }
    }
}
