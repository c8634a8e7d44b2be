using System.Buffers;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// The checkpoint object: <c>ARBCKPT</c>, one format-version byte, the SHA-256 of the rest, then Brotli-compressed
/// JSON <c>{"tenant","cursor","fingerprint","writtenAt","documents":[[kind,id,body],...]}</c> with each body written
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
                json.WriteRawValue(JsonMarshal.GetRawUtf8Value(document.Body), skipInputValidation: true);
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
        byte[] json;
        try
        {
            json = Decompress(content[PayloadOffset..], maxBytes);
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

    private static byte[] Decompress(ReadOnlyMemory<byte> compressed, long maxBytes)
    {
        using var brotli = new BrotliStream(new MemoryStream(compressed.ToArray(), writable: false), CompressionMode.Decompress);
        var output = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = brotli.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > maxBytes)
                    throw new InvalidDataException($"it is larger than {maxBytes} bytes uncompressed (Snapshot:Checkpoint:MaxBytes)");
                output.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return output.ToArray();
    }

    private static SnapshotCheckpoint? Parse(byte[] json, out string? problem)
    {
        // Deeper than the store's own limit: each body sits three levels down.
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        var root = document.RootElement;
        var tenant = root.GetProperty("tenant").GetString();
        var cursor = root.GetProperty("cursor").GetString();
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(cursor))
        {
            problem = "it has no tenant or cursor";
            return null;
        }
        var documents = ImmutableDictionary.CreateBuilder<string, CheckpointDocument>(StringComparer.Ordinal);
        foreach (var item in root.GetProperty("documents").EnumerateArray())
        {
            if (item.GetArrayLength() != 3)
            {
                problem = "a document entry is not [kind, id, body]";
                return null;
            }
            var kind = item[0].GetString();
            var id = item[1].GetString();
            if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(id) || !Engine.Snapshots.SourceKinds.IsSource(kind))
            {
                problem = $"a document entry has an empty or unknown kind or id ('{kind}', '{id}')";
                return null;
            }
            // Its own copy: the snapshot may keep parts of a body (obligation properties) after this document is gone.
            var key = CheckpointDocument.Key(kind, id);
            if (!documents.TryAdd(key, new CheckpointDocument(kind, id, item[2].Clone())))
            {
                problem = $"document {key} appears twice";
                return null;
            }
        }
        problem = null;
        return new SnapshotCheckpoint(tenant, cursor, root.GetProperty("fingerprint").GetInt64(), root.GetProperty("writtenAt").GetDateTimeOffset(), documents.ToImmutable());
    }
}
