using System.Security.Cryptography;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// Decision ids: 32 hex characters — 12 of milliseconds since the epoch (sortable by time), 8 chosen at random once
/// per process (unique across instances), 12 of a per-process counter (unique within one). Cheaper than a random
/// GUID per decision, which costs a call into the system's random source.
/// </summary>
public static class DecisionIds
{
    private static readonly uint Instance = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
    private static long _counter;

    public static string Next(DateTimeOffset now)
    {
        var millis = (ulong)now.ToUnixTimeMilliseconds() & 0xFFFF_FFFF_FFFF;
        var count = (ulong)Interlocked.Increment(ref _counter) & 0xFFFF_FFFF_FFFF;
        return string.Create(32, (millis, count), static (span, state) =>
        {
            state.millis.TryFormat(span[..12], out _, "x12");
            Instance.TryFormat(span.Slice(12, 8), out _, "x8");
            state.count.TryFormat(span[20..], out _, "x12");
        });
    }
}
