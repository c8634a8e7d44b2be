using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Arbiter.Engine.Conditions;

/// <summary>
/// Timestamps and durations (langdef.md "Timestamp and Duration"): RFC 3339 text, Go-style duration text
/// (<c>"1h30m"</c>, <c>"-1.5s"</c>, units h m s ms us ns), and the accessors, in UTC or in a time zone given by IANA name
/// (<c>"Europe/Paris"</c>) or offset (<c>"+05:30"</c>). Month, day-of-month and day-of-year are 0-based,
/// <c>getDate</c> 1-based, <c>getDayOfWeek</c> 0 for Sunday, as CEL defines them.
/// </summary>
public static partial class TimeFunctions
{
    private const int MaxZones = 128;
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    public static CelValue ParseTimestamp(string text)
    {
        if (!Rfc3339().IsMatch(text))
            return CelValue.Error($"invalid timestamp '{text}' (expected RFC 3339, like 2026-01-01T00:00:00Z)");
        // .NET reads at most 7 fractional digits; CEL allows 9 (the last two are below .NET's tick).
        var normalized = Regex.Replace(text, @"\.(\d{7})\d+", ".$1", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
            return CelValue.Error($"invalid timestamp '{text}'");
        return CelValue.Timestamp(parsed.UtcTicks);
    }

    public static CelValue ParseDuration(string text)
    {
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.SequenceEqual("0"))
            return CelValue.Duration(0);
        if (s.IsEmpty)
            return InvalidDuration(text);
        decimal total = 0;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.'))
                n++;
            if (n == 0 || n > 30 || !decimal.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
                return InvalidDuration(text);

            s = s[n..];
            var u = 0;
            while (u < s.Length && char.IsAsciiLetter(s[u]) || u < s.Length && s[u] == 'µ')
                u++;
            decimal ticksPerUnit = s[..u] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" => 10m,
                "ns" => 0.01m,
                _ => -1m,
            };
            if (ticksPerUnit < 0)
                return InvalidDuration(text);
            s = s[u..];
            // Checked before multiplying, so the decimal arithmetic itself can never overflow.
            if (amount > long.MaxValue / ticksPerUnit)
                return Operators.TimeOverflow;
            total += amount * ticksPerUnit;
            if (total > long.MaxValue)
                return Operators.TimeOverflow;
        }
        var ticks = (long)decimal.Truncate(total);
        return Operators.CheckedDuration(negative ? -ticks : ticks);
    }

    private static CelValue InvalidDuration(string text) =>
        CelValue.Error($"invalid duration '{text}' (expected a number and a unit, like 90s, 1h30m or 250ms)");

    public static string FormatTimestamp(long ticks)
    {
        var time = new DateTime(ticks, DateTimeKind.Utc);
        return time.Ticks % TimeSpan.TicksPerSecond == 0
            ? time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Seconds with the fraction CEL writes (<c>"3600s"</c>, <c>"1.5s"</c>).</summary>
    public static string FormatDuration(long ticks)
    {
        var seconds = (decimal)ticks / TimeSpan.TicksPerSecond;
        return new StringBuilder().Append(seconds.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    /// <summary>A timestamp accessor (getHours, getDayOfWeek, …), in UTC or in <paramref name="zone"/>.</summary>
    public static CelValue Timestamp(string accessor, CelValue time, string? zone)
    {
        var utc = new DateTime(time.Ticks, DateTimeKind.Utc);
        DateTime local;
        if (zone is null)
        {
            local = utc;
        }
        else if (Zone(zone) is { } tz)
        {
            var offset = tz.GetUtcOffset(utc);
            var shifted = utc.Ticks + offset.Ticks;
            if (shifted < DateTime.MinValue.Ticks || shifted > DateTime.MaxValue.Ticks)
                return Operators.TimeOverflow;
            local = new DateTime(shifted, DateTimeKind.Unspecified);
        }
        else if (Offset(zone) is { } offset)
        {
            var shifted = utc.Ticks + offset.Ticks;
            if (shifted < DateTime.MinValue.Ticks || shifted > DateTime.MaxValue.Ticks)
                return Operators.TimeOverflow;
            local = new DateTime(shifted, DateTimeKind.Unspecified);
        }
        else
        {
            return CelValue.Error($"unknown time zone '{zone}' (expected an IANA name like 'Europe/Paris' or an offset like '+05:30')");
        }
        return accessor switch
        {
            "getFullYear" => CelValue.Int(local.Year),
            "getMonth" => CelValue.Int(local.Month - 1),
            "getDayOfYear" => CelValue.Int(local.DayOfYear - 1),
            "getDayOfMonth" => CelValue.Int(local.Day - 1),
            "getDate" => CelValue.Int(local.Day),
            "getDayOfWeek" => CelValue.Int((int)local.DayOfWeek),
            "getHours" => CelValue.Int(local.Hour),
            "getMinutes" => CelValue.Int(local.Minute),
            "getSeconds" => CelValue.Int(local.Second),
            "getMilliseconds" => CelValue.Int(local.Millisecond),
            _ => Operators.NoOverload(accessor, time),
        };
    }

    /// <summary>A duration accessor: whole hours, minutes or seconds of the duration; milliseconds of its last second.</summary>
    public static CelValue Duration(string accessor, CelValue duration) => accessor switch
    {
        "getHours" => CelValue.Int(duration.Ticks / TimeSpan.TicksPerHour),
        "getMinutes" => CelValue.Int(duration.Ticks / TimeSpan.TicksPerMinute),
        "getSeconds" => CelValue.Int(duration.Ticks / TimeSpan.TicksPerSecond),
        "getMilliseconds" => CelValue.Int(duration.Ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMillisecond),
        _ => Operators.NoOverload(accessor, duration),
    };

    public static readonly string[] TimestampAccessors =
        ["getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds"];

    public static readonly string[] DurationAccessors = ["getHours", "getMinutes", "getSeconds", "getMilliseconds"];

    private static TimeZoneInfo? Zone(string name)
    {
        if (Zones.TryGetValue(name, out var cached))
            return cached;
        TimeZoneInfo? zone = null;
        if (name.Length is > 0 and <= 64 && name[0] is not ('+' or '-') && !char.IsAsciiDigit(name[0]))
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                zone = null;
            }
        }
        if (Zones.Count >= MaxZones)
            Zones.Clear();
        Zones[name] = zone;
        return zone;
    }

    private static TimeSpan? Offset(string text)
    {
        // CEL also accepts an offset without its sign ("02:00"), as positive.
        if (text.Length == 5 && char.IsAsciiDigit(text[0]))
            text = "+" + text;
        if (text.Length != 6 || text[0] is not ('+' or '-') || text[3] != ':'
            || !int.TryParse(text.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !int.TryParse(text.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) || h > 23 || m > 59)
            return null;
        var offset = new TimeSpan(h, m, 0);
        return text[0] == '-' ? -offset : offset;
    }
}
