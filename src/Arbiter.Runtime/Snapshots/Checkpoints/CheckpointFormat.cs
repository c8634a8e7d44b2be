using Arbiter.Engine.Compression;
using System.Buffers;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// The checkpoint object: <c>ARBCKPT</c>, one format-version byte, the SHA-256 of the rest, then Brotli-compressed
/// JSON <c>{"tenant","cursor","fingerprint","writtenAt","documents":[[kind,id,etag,body],...]}</c> with each body written
/// as the store's raw bytes. The hash covers the compressed bytes, so a damaged object is refused before it reaches the
/// decompressor; the uncompressed size is bounded as well.
/// </summary>
public static class CheckpointFormat
{
    public const byte Version = 1;

    private static readonly byte[] Magic = "ARBCKPT"u8.ToArray();
    private const int HashOffset = 8;
    private const int PayloadOffset = HashOffset + SHA256.HashSizeInBytes;

    public static byte[] Write(SnapshotCheckpoint checkpoint)
    {
        var output = new MemoryStream();
        output.Write(Magic);
        output.WriteByte(Version);
        output.Write(new byte[SHA256.HashSizeInBytes]);
        using (var brotli = new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var json = new Utf8JsonWriter(brotli, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteString("tenant", checkpoint.TenantId);
            json.WriteString("cursor", checkpoint.Cursor);
            json.WriteNumber("fingerprint", checkpoint.Fingerprint);
            json.WriteString("writtenAt", checkpoint.WrittenAt);
            json.WritePropertyName("documents");
            json.WriteStartArray();
            // Ordered, so the same documents give the same bytes (and the same hash) on every writer.
            foreach (var (_, document) in checkpoint.Documents.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                json.WriteStartArray();
                json.WriteStringValue(document.Kind);
                json.WriteStringValue(document.Id);
                json.WriteStringValue(document.ETag);
                json.WriteRawValue(document.Body.Span, skipInputValidation: true);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var bytes = output.GetBuffer().AsSpan(0, (int)output.Length);
        SHA256.HashData(bytes[PayloadOffset..], bytes.Slice(HashOffset, SHA256.HashSizeInBytes));
        return bytes.ToArray();
    }

    /// <summary>The checkpoint in <paramref name="content"/>, or why it cannot be used (<paramref name="problem"/>).</summary>
    public static SnapshotCheckpoint? Read(ReadOnlyMemory<byte> content, long maxBytes, out string? problem)
    {
        var span = content.Span;
        if (span.Length < PayloadOffset || !span[..Magic.Length].SequenceEqual(Magic))
        {
            problem = "not a snapshot checkpoint (no header)";
            return null;
        }
        if (span[Magic.Length] != Version)
        {
            problem = $"format version {span[Magic.Length]} is not supported (this instance reads version {Version})";
            return null;
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(span[PayloadOffset..], hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, span.Slice(HashOffset, SHA256.HashSizeInBytes)))
        {
            problem = "its SHA-256 does not match its content (damaged or altered)";
            return null;
        }
        ArraySegment<byte> json;
        try
        {
            json = Decompress(span[PayloadOffset..], maxBytes);
        }
        catch (InvalidDataException e)
        {
            problem = "it cannot be decompressed: " + e.Message;
            return null;
        }
        try
        {
            return Parse(json, out problem);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            problem = "it cannot be parsed: " + e.Message;
            return null;
        }
    }

    // Brotli compresses this JSON about 2.2:1; a first guess of 4:1 leaves most checkpoints one buffer.
    private static ArraySegment<byte> Decompress(ReadOnlySpan<byte> compressed, long maxBytes) =>
        BoundedBrotli.Decompress(compressed, maxBytes, 4, $"it is larger than {maxBytes} bytes uncompressed (Snapshot:Checkpoint:MaxBytes)");

    private static SnapshotCheckpoint? Parse(ArraySegment<byte> json, out string? problem)
    {
        // One pass with a reader: each body is cut out as the bytes it was written as, not parsed here. Deeper than the
        // store's own limit, as each body sits three levels down.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        string? tenant = null, cursor = null;
        long? fingerprint = null;
        DateTimeOffset? writtenAt = null;
        var documents = ImmutableDictionary.CreateBuilder<string, CheckpointDocument>(StringComparer.Ordinal);
        problem = "the content is not a JSON object";
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "tenant": tenant = reader.GetString(); break;
                case "cursor": cursor = reader.GetString(); break;
                case "fingerprint": fingerprint = reader.GetInt64(); break;
                case "writtenAt": writtenAt = reader.GetDateTimeOffset(); break;
                case "documents":
                    if (ReadDocuments(ref reader, json, documents, out problem) is false)
                        return null;
                    break;
                default: reader.Skip(); break;
            }
        }
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(cursor) || fingerprint is null || writtenAt is null)
        {
            problem = "it lacks its tenant, cursor, fingerprint or date";
            return null;
        }
        problem = null;
        return new SnapshotCheckpoint(tenant, cursor, fingerprint.Value, writtenAt.Value, documents.ToImmutable());
    }

    private static bool ReadDocuments(ref Utf8JsonReader reader, ArraySegment<byte> json, ImmutableDictionary<string, CheckpointDocument>.Builder documents, out string? problem)
    {
        problem = "documents is not an array of [kind, id, etag, body]";
        if (reader.TokenType != JsonTokenType.StartArray)
            return false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.String)
                return false;
            var kind = KnownKind(ref reader) ?? reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                return false;
            var id = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                return false;
            var etag = reader.GetString()!;
            if (!reader.Read() || reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject)
                return false;
            var start = (int)reader.TokenStartIndex;
            reader.Skip(); // to the end of an object or array; a single value is its own token
            var body = json.AsSpan(start, (int)reader.BytesConsumed - start).ToArray();
            if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
                return false;
            if (kind.Length == 0 || id.Length == 0 || !Engine.Snapshots.SourceKinds.IsSource(kind))
            {
                problem = $"a document entry has an empty or unknown kind or id ('{kind}', '{id}')";
                return false;
            }
            if (!documents.TryAdd(CheckpointDocument.Key(kind, id), new CheckpointDocument(kind, id, etag, body)))
            {
                problem = $"document {kind}/{id} appears twice";
                return false;
            }
        }
        problem = null;
        return true;
    }

    /// <summary>The kind as the engine's own string (one per kind, not one per document), or null when it is not one of them.</summary>
    private static string? KnownKind(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("user"u8) ? Engine.Snapshots.SourceKinds.User
        : reader.ValueTextEquals("group"u8) ? Engine.Snapshots.SourceKinds.Group
        : reader.ValueTextEquals("tool"u8) ? Engine.Snapshots.SourceKinds.Tool
        : reader.ValueTextEquals("agent"u8) ? Engine.Snapshots.SourceKinds.Agent
        : reader.ValueTextEquals("policy"u8) ? Engine.Snapshots.SourceKinds.Policy
        : reader.ValueTextEquals("dataResource"u8) ? Engine.Snapshots.SourceKinds.DataResource
        : reader.ValueTextEquals("mcpServer"u8) ? Engine.Snapshots.SourceKinds.McpServer
        : reader.ValueTextEquals("settings"u8) ? Engine.Snapshots.SourceKinds.Settings
        : null;
}
