namespace Arbiter.Api.Health;

/// <summary>
/// Whether the decision log is losing records: its lost count (since start) grew within <see cref="Window"/>. The growth
/// is noticed at a health check, so /health stays degraded for <see cref="Window"/> after the check that first saw it
/// (long enough for any monitor's polling interval), then recovers by itself while nothing more is lost.
/// </summary>
public sealed class DecisionLogLossWatch(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private long _seen;
    private DateTimeOffset? _lastGrowth;

    /// <summary>Records <paramref name="lostTotal"/>; true while a growth was seen within <see cref="Window"/>.</summary>
    public bool Losing(long lostTotal)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (lostTotal > _seen)
            {
                _seen = lostTotal;
                _lastGrowth = now;
            }
            return _lastGrowth is { } last && now - last < Window;
        }
    }
}
