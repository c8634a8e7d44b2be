using System.Globalization;
using Arbiter.Engine.Decisions;

namespace Arbiter.Engine.Tests;

public sealed class DecisionIdsTests
{
    [Fact]
    public void Format_AnyParts_TwelveEightTwelveLowercaseHexDigits()
    {
        var rng = new Random(22);
        var instance = DecisionIds.Next(DateTimeOffset.UnixEpoch)[12..20];
        foreach (var (millis, count) in new[] { (0UL, 0UL), (0xFFFF_FFFF_FFFFUL, 0xFFFF_FFFF_FFFFUL), (0xABCDEFUL, 1UL) }
                     .Concat(Enumerable.Range(0, 1_000).Select(_ => ((ulong)rng.NextInt64(0, 1L << 48), (ulong)rng.NextInt64(0, 1L << 48)))))
        {
            var id = DecisionIds.Format(new DecisionIds.Reserved(millis, count));

            Assert.Equal(millis.ToString("x12", CultureInfo.InvariantCulture) + instance + count.ToString("x12", CultureInfo.InvariantCulture), id);
        }
    }

    [Fact]
    public void Next_Now_MillisecondsSinceTheEpochFirst()
    {
        var now = new DateTimeOffset(2026, 12, 2, 1, 30, 0, TimeSpan.Zero);

        var id = DecisionIds.Next(now);

        Assert.Equal(now.ToUnixTimeMilliseconds(), long.Parse(id[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Matches("^[0-9a-f]{32}$", id);
    }
}
