using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Asks the processor to start loading a location it will read soon. On a 1 M-user tenant a decision's user, agent,
/// tool and group entries are each a cache miss; requested together, the misses overlap instead of following each other.
/// A hint only: nothing is read, and if the GC moves the object meanwhile the processor loads a line nobody reads.
/// </summary>
public static class CacheLine
{
    private const int LineSize = 64;

    /// <summary>Every cache line <paramref name="location"/> touches (a table slot of 90 bytes spans two or three).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T location)
    {
        if (!Sse.IsSupported)
            return;
        var start = (byte*)Unsafe.AsPointer(ref location);
        for (var offset = 0; offset < Unsafe.SizeOf<T>(); offset += LineSize)
            Sse.Prefetch0(start + offset);
        Sse.Prefetch0(start + Unsafe.SizeOf<T>() - 1);
    }

    /// <summary>
    /// The lines <paramref name="length"/> bytes from <paramref name="offset"/> into <paramref name="target"/> cover,
    /// computed from the reference without reading through it: touching the object first (as a null check or a field
    /// read does) would wait for its first line, on a large tenant a miss of its own before the prefetch is even asked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object target, nint offset, int length)
    {
        if (!Sse.IsSupported)
            return;
        var start = (byte*)Unsafe.As<object, nint>(ref target) + offset;
        for (var at = 0; at < length; at += LineSize)
            Sse.Prefetch0(start + at);
        Sse.Prefetch0(start + length - 1);
    }

    /// <summary>Where a one-dimensional array's elements start, in bytes from its reference (measured, not assumed).</summary>
    public static readonly nint ArrayDataOffset = MeasureArrayDataOffset();

    private static unsafe nint MeasureArrayDataOffset()
    {
        var probe = new byte[1];
        fixed (byte* data = probe)
            return (nint)data - Unsafe.As<byte[], nint>(ref probe);
    }
}
