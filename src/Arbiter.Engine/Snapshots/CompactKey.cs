using System.Buffers.Binary;
using System.Text;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// A key's characters packed into 16 bytes when they fit — up to 16 ASCII characters, or a GUID written the way Entra
/// writes object ids (36 characters, lowercase) — so a table slot can be compared without reading the key string:
/// at a million users that string is one more cache miss per lookup, after the slot's own. The packing is one to one
/// (the kind holds the length): equal packings mean equal strings. A key that does not fit has kind 0 and is compared
/// as a string.
/// </summary>
internal readonly struct CompactKey
{
    private const byte GuidKind = 36;

    private readonly ulong _low;
    private readonly ulong _high;

    private CompactKey(ulong low, ulong high, byte kind)
    {
        _low = low;
        _high = high;
        Kind = kind;
    }

    /// <summary>0 when the key does not fit; 1–16 for ASCII of that length; 36 for a lowercase GUID.</summary>
    public byte Kind { get; }

    public static CompactKey Of(string key)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (key.Length is > 0 and <= 16)
        {
            return Ascii.FromUtf16(key, bytes, out _) == System.Buffers.OperationStatus.Done
                ? new CompactKey(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]), (byte)key.Length)
                : default;
        }
        if (key.Length == GuidKind && Guid.TryParseExact(key, "D", out var guid) && IsCanonical(key, guid) && guid.TryWriteBytes(bytes))
            return new CompactKey(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]), GuidKind);
        return default;
    }

    /// <summary>Whether two packed keys (both of a kind other than 0) are the same key.</summary>
    public bool SameAs(in CompactKey other) => _low == other._low && _high == other._high && Kind == other.Kind;

    /// <summary>Parsing accepts other spellings (upper case); only the one the GUID formats to may pack, or two strings would match.</summary>
    private static bool IsCanonical(string key, Guid guid)
    {
        Span<char> text = stackalloc char[GuidKind];
        return guid.TryFormat(text, out var written, "D") && written == GuidKind && text.SequenceEqual(key);
    }
}
