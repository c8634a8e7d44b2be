using System.Buffers;

namespace Arbiter.DecisionLog;

/// <summary>
/// Unsigned integers in 7-bit groups, low group first, the high bit marking "more follows" — the bytes
/// <c>BinaryWriter.Write7BitEncodedInt64</c> writes, so <c>BinaryReader</c> reads them. Used by the group codec and the
/// journal line.
/// </summary>
internal static class Varints
{
    /// <summary>The most a value takes (a ulong of 64 bits in groups of 7).</summary>
    public const int MaxBytes = 10;

    public static void Write(ArrayBufferWriter<byte> to, ulong value) => to.Advance(Write(to.GetSpan(MaxBytes), value));

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="span"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> span, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        return n;
    }

    public static int Length(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }
}
