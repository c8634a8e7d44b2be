using System.Collections.Immutable;
using System.Text.Json;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// A tenant's snapshot inputs at one change-feed position: every source document (kind/id → body, bodies byte for byte
/// as the store gave them, so the fingerprint computed from them is the store's) and the <see cref="Cursor"/> they are
/// consistent with. <see cref="Fingerprint"/> is the snapshot version those documents give; a load checks it again.
/// </summary>
public sealed record SnapshotCheckpoint(
    string TenantId,
    string Cursor,
    long Fingerprint,
    DateTimeOffset WrittenAt,
    ImmutableDictionary<string, CheckpointDocument> Documents);

/// <summary>
/// One source document of a checkpoint: its store ETag (a load checks one against the store, so a checkpoint of another
/// or a restored store is not used) and its body as the store's raw UTF-8 JSON (kept as bytes, not parsed, because a
/// parsed document costs two to three times the memory and the snapshot already holds what it needs of it).
/// </summary>
public readonly record struct CheckpointDocument(string Kind, string Id, string ETag, ReadOnlyMemory<byte> Body)
{
    public static string Key(string kind, string id) => kind + "/" + id;

    public static CheckpointDocument Of(string kind, string id, string etag, JsonElement body) =>
        new(kind, id, etag, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(body).ToArray());

    /// <summary>The body parsed on its own (the snapshot may keep parts of it, such as obligation properties).</summary>
    public JsonElement Parse() => JsonDocument.Parse(Body).RootElement;
}
