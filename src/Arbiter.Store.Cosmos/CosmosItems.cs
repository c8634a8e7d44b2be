using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// The item shape of a document: <c>{ id: "{kind}:{docId}", tenantId, kind, docId, body, deleted, updatedAt }</c>
/// (plus the server's <c>_etag</c> and <c>_ts</c>), written as a stream and read back into <see cref="StoredDocument"/>.
/// </summary>
internal static class CosmosItems
{
    /// <summary>The Cosmos item id of a document: <c>{kind}:{id}</c>, with the characters Cosmos forbids in ids escaped.</summary>
    public static string ItemId(string kind, string id)
    {
        var escaped = new StringBuilder(kind.Length + id.Length + 1).Append(kind).Append(':');
        foreach (var c in id)
        {
            _ = c switch
            {
                '%' => escaped.Append("%25"),
                '/' => escaped.Append("%2F"),
                '\\' => escaped.Append("%5C"),
                '?' => escaped.Append("%3F"),
                '#' => escaped.Append("%23"),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    public static MemoryStream Serialize(string tenantId, string kind, string id, JsonElement body, bool deleted, DateTimeOffset updatedAt)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", ItemId(kind, id));
            writer.WriteString("tenantId", tenantId);
            writer.WriteString("kind", kind);
            writer.WriteString("docId", id);
            writer.WritePropertyName("body");
            body.WriteTo(writer);
            writer.WriteBoolean("deleted", deleted);
            writer.WriteString("updatedAt", updatedAt.ToUniversalTime());
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    public static StoredDocument ToStored(JsonElement item) => new(
        item.GetProperty("tenantId").GetString()!,
        item.GetProperty("kind").GetString()!,
        item.GetProperty("docId").GetString()!,
        item.GetProperty("body").Clone(),
        item.GetProperty("_etag").GetString()!,
        item.GetProperty("deleted").GetBoolean(),
        item.GetProperty("updatedAt").GetDateTimeOffset());

    /// <summary>The document a successful write answered with (content responses are on for writes).</summary>
    public static StoredDocument ReadWritten(ResponseMessage response, string operation)
    {
        CosmosCalls.EnsureSuccess(response, operation);
        using var document = JsonDocument.Parse(response.Content);
        return ToStored(document.RootElement);
    }

    public static async Task<StoredDocument> ParseItemAsync(Stream content, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        return ToStored(document.RootElement);
    }

    /// <summary>The documents of one query or change-feed page (<c>{ "Documents": [...] }</c>).</summary>
    public static async Task<List<StoredDocument>> ParseDocumentsAsync(Stream content, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        return [.. document.RootElement.GetProperty("Documents").EnumerateArray().Select(ToStored)];
    }
}
