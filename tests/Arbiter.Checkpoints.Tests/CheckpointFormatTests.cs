using System.Collections.Immutable;
using System.Text;
using Arbiter.Runtime.Snapshots.Checkpoints;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The checkpoint object written and read back (<see cref="CheckpointFormat"/>), without storage.</summary>
public sealed class CheckpointFormatTests
{
    private static SnapshotCheckpoint Checkpoint(int documents, Func<int, string> body)
    {
        var all = ImmutableDictionary.CreateBuilder<string, CheckpointDocument>(StringComparer.Ordinal);
        for (var i = 0; i < documents; i++)
            all.Add(CheckpointDocument.Key("user", $"u{i:D5}"), new CheckpointDocument("user", $"u{i:D5}", $"e{i}", Encoding.UTF8.GetBytes(body(i))));
        return new SnapshotCheckpoint("t", "cursor-1", 42, DateTimeOffset.UnixEpoch, all.ToImmutable());
    }

    [Fact]
    public void Read_CompressesFarBetterThanFourToOne_GrowsItsBufferAndGivesEveryDocument()
    {
        // Identical bodies compress far past the first buffer's guess, so the decompression has to grow it.
        var written = Checkpoint(3_000, _ => """{"enabled":true,"department":"the same department, every time"}""");
        var bytes = CheckpointFormat.Write(written);

        var read = CheckpointFormat.Read(bytes, 256L * 1024 * 1024, out var problem);

        Assert.Null(problem);
        Assert.NotNull(read);
        Assert.Equal(written.Documents.Count, read.Documents.Count);
        Assert.All(written.Documents, d => Assert.Equal(d.Value.Body.ToArray(), read.Documents[d.Key].Body.ToArray()));
        Assert.Equal(("t", "cursor-1", 42L), (read.TenantId, read.Cursor, read.Fingerprint));
    }

    [Fact]
    public void Read_LargerThanMaxBytesUncompressed_IsRefused()
    {
        var bytes = CheckpointFormat.Write(Checkpoint(3_000, i => $$"""{"enabled":true,"n":{{i}}}"""));

        // Room for the compressed object, not for what it decompresses to.
        var read = CheckpointFormat.Read(bytes, bytes.Length + 1, out var problem);

        Assert.Null(read);
        Assert.Contains("larger than", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ExactlyMaxBytesUncompressed_IsRead()
    {
        var bytes = CheckpointFormat.Write(Checkpoint(500, i => $$"""{"n":{{i}}}"""));
        var size = UncompressedSize(bytes);

        Assert.NotNull(CheckpointFormat.Read(bytes, size, out var atBound));
        Assert.Null(atBound);
        Assert.Null(CheckpointFormat.Read(bytes, size - 1, out var pastBound));
        Assert.Contains("larger than", pastBound, StringComparison.Ordinal);
    }

    private static long UncompressedSize(byte[] checkpoint)
    {
        // Header: 7 magic bytes, the version, the SHA-256; then the Brotli payload.
        using var brotli = new System.IO.Compression.BrotliStream(new MemoryStream(checkpoint, 8 + 32, checkpoint.Length - 40), System.IO.Compression.CompressionMode.Decompress);
        var output = new MemoryStream();
        brotli.CopyTo(output);
        return output.Length;
    }
}
