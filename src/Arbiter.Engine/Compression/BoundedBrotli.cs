using System.Buffers;
using System.IO.Compression;

namespace Arbiter.Engine.Compression;

/// <summary>
/// Brotli decompression with a bound: what Arbiter reads back that it compressed itself (decision groups, snapshot
/// checkpoints) may still be damaged or altered, and a small input must not inflate into an unbounded buffer.
/// </summary>
public static class BoundedBrotli
{
    /// <summary>
    /// The content decompressed straight into one growing buffer (no copy of the compressed bytes, no stream), first
    /// sized at <paramref name="expectedRatio"/> × the input. Throws <see cref="InvalidDataException"/> past
    /// <paramref name="maxBytes"/> (with <paramref name="tooLarge"/> as its message), when the data ends early, or when it
    /// is damaged.
    /// </summary>
    public static ArraySegment<byte> Decompress(ReadOnlySpan<byte> compressed, long maxBytes, int expectedRatio, string tooLarge)
    {
        var output = new byte[(int)Math.Min(maxBytes, Math.Max(4096L, compressed.Length * (long)expectedRatio))];
        var written = 0;
        using var decoder = new BrotliDecoder();
        while (true)
        {
            var status = decoder.Decompress(compressed, output.AsSpan(written), out var consumed, out var produced);
            compressed = compressed[consumed..];
            written += produced;
            switch (status)
            {
                case OperationStatus.Done:
                    return new ArraySegment<byte>(output, 0, written);
                case OperationStatus.DestinationTooSmall:
                    if (output.Length >= maxBytes)
                        throw new InvalidDataException(tooLarge);
                    Array.Resize(ref output, (int)Math.Min(maxBytes, Math.Min(Array.MaxLength, output.Length * 2L)));
                    break;
                case OperationStatus.NeedMoreData:
                    throw new InvalidDataException("the compressed data ends early");
                default:
                    throw new InvalidDataException("the compressed data is damaged");
            }
        }
    }
}
