using System.Security.Cryptography;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// A decision id of this service as its three parts — milliseconds (48 bits), instance (32), count (48) — which is how the
/// decision log carries and stores it; <see cref="ToString"/> is its text.
/// </summary>
public readonly record struct DecisionIdParts(ulong Millis, uint Instance, ulong Count)
{
    /// <summary>Each part within its width, so the text has 32 digits and gives these parts back.</summary>
    public bool IsValid => Millis <= 0xFFFF_FFFF_FFFF && Count <= 0xFFFF_FFFF_FFFF;

    public override string ToString() => DecisionIds.Format(Millis, Instance, Count);
}

/// <summary>
/// Decision ids: 32 hex characters — 12 of milliseconds since the epoch (sortable by time), 8 chosen at random once
/// per process (unique across instances), 12 of a per-process counter (unique within one). Cheaper than a random
/// GUID per decision, which costs a call into the system's random source. The engine reserves the number when it
/// decides and writes the text only when someone reads it.
/// </summary>
public static class DecisionIds
{
    private static readonly uint Instance = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
    private static long _counter;

    /// <summary>The two numbers an id is made of, taken at decision time.</summary>
    internal readonly record struct Reserved(ulong Millis, ulong Count);

    public static string Next(DateTimeOffset now) => Format(Reserve(now));

    internal static Reserved Reserve(DateTimeOffset now) =>
        new((ulong)now.ToUnixTimeMilliseconds() & 0xFFFF_FFFF_FFFF, (ulong)Interlocked.Increment(ref _counter) & 0xFFFF_FFFF_FFFF);

    // Hex digits written by hand: the number formatter's "x12" took its slow path for every part of every id, a visible
    // share of what logging a decision costs.
    internal static string Format(Reserved id) => Format(id.Millis, Instance, id.Count);

    /// <summary>The parts of a reserved id (this process's instance).</summary>
    internal static DecisionIdParts Parts(Reserved id) => new(id.Millis, Instance, id.Count);

    /// <summary>The id of these three parts (each within its width: 48, 32 and 48 bits), as <see cref="Next"/> writes it.</summary>
    public static string Format(ulong millis, uint instance, ulong count) =>
        string.Create(32, (millis, instance, count), static (span, state) =>
        {
            Hex(span[..12], state.millis);
            Hex(span.Slice(12, 8), state.instance);
            Hex(span[20..], state.count);
        });

    /// <summary>The id as <see cref="Format(ulong, uint, ulong)"/> writes it, in its 32 bytes of UTF-8 (ASCII).</summary>
    public static void WriteUtf8(DecisionIdParts id, Span<byte> to)
    {
        Hex(to[..12], id.Millis);
        Hex(to.Slice(12, 8), id.Instance);
        Hex(to.Slice(20, 12), id.Count);
    }

    /// <summary>
    /// The parts of an id written as <see cref="Format(ulong, uint, ulong)"/> writes it (32 lowercase hex digits); false
    /// for any other id. <c>Format</c> of the parts gives <paramref name="id"/> back, character for character.
    /// </summary>
    public static bool TryParse(string id, out DecisionIdParts parts)
    {
        parts = default;
        if (id.Length != 32)
            return false;
        ulong m = 0, n = 0, c = 0;
        for (var i = 0; i < 32; i++)
        {
            var ch = id[i];
            int digit = ch is >= '0' and <= '9' ? ch - '0' : ch is >= 'a' and <= 'f' ? ch - 'a' + 10 : -1;
            if (digit < 0)
                return false;
            if (i < 12)
                m = (m << 4) | (uint)digit;
            else if (i < 20)
                n = (n << 4) | (uint)digit;
            else
                c = (c << 4) | (uint)digit;
        }
        parts = new DecisionIdParts(m, (uint)n, c);
        return true;
    }

    /// <summary>
    /// The low <c>4 × to.Length</c> bits of <paramref name="value"/> as lowercase hex, most significant first, as characters
    /// (the text) or as bytes (UTF-8).
    /// </summary>
    private static void Hex<T>(Span<T> to, ulong value) where T : System.Numerics.IBinaryInteger<T>
    {
        for (var i = to.Length - 1; i >= 0; i--)
        {
            to[i] = T.CreateTruncating("0123456789abcdef"[(int)(value & 0xF)]);
            value >>= 4;
        }
    }
}
