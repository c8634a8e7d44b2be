using System.Security.Cryptography;

namespace Arbiter.Engine.Decisions;

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
    internal static string Format(Reserved id) =>
        string.Create(32, id, static (span, state) =>
        {
            Hex(span[..12], state.Millis);
            Hex(span.Slice(12, 8), Instance);
            Hex(span[20..], state.Count);
        });

    /// <summary>The low <c>4 × to.Length</c> bits of <paramref name="value"/> as lowercase hex, most significant first.</summary>
    private static void Hex(Span<char> to, ulong value)
    {
        for (var i = to.Length - 1; i >= 0; i--)
        {
            to[i] = "0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }
    }
}
