using System.Globalization;

namespace Arbiter.DecisionLog;

/// <summary>
/// Partition keys of the decision log: <c>{tenant}:{yyyyMMddHH}:{bucket}</c> (UTC hour; bucket = FNV-1a of the decision id
/// mod <see cref="DecisionLogOptions.Buckets"/>). One tenant at a high rate spreads over <c>Buckets</c> logical partitions
/// per hour instead of one, and an hour's partition never grows past what an hour of decisions holds.
/// A query names the tenant and its time range, so it knows every key that can hold a match:
/// <see cref="KeysFor"/> lists the buckets of each hour in the range, newest hour first.
/// </summary>
public static class DecisionLogPartitions
{
    public static string Key(string tenantId, DateTimeOffset time, string decisionId, int buckets) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenantId}:{time.UtcDateTime:yyyyMMddHH}:{Bucket(decisionId, buckets)}");

    public static int Bucket(string decisionId, int buckets)
    {
        var hash = 2166136261u;
        foreach (var c in decisionId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)buckets);
    }

    /// <summary>The UTC hours overlapping [from, to), newest first.</summary>
    public static IEnumerable<DateTimeOffset> HoursNewestFirst(DateTimeOffset from, DateTimeOffset to)
    {
        var first = Truncate(from);
        for (var hour = Truncate(to - TimeSpan.FromTicks(1)); hour >= first; hour -= TimeSpan.FromHours(1))
        {
            yield return hour;
        }
    }

    /// <summary>Every partition key of <paramref name="tenantId"/> in the given hours.</summary>
    public static IEnumerable<string> KeysFor(string tenantId, IEnumerable<DateTimeOffset> hours, int buckets)
    {
        foreach (var hour in hours)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{tenantId}:{hour.UtcDateTime:yyyyMMddHH}:");
            for (var b = 0; b < buckets; b++)
            {
                yield return prefix + b.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    private static DateTimeOffset Truncate(DateTimeOffset t)
    {
        var utc = t.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}
