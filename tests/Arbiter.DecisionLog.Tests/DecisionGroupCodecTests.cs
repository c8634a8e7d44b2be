using System.Text.Json;

namespace Arbiter.DecisionLog.Tests;

public sealed class DecisionGroupCodecTests
{
    private static string Json(DecisionRecord r) => JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord);

    [Fact]
    public void Decode_EncodedGroup_EveryRecordAsWritten()
    {
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        DecisionRecord[] records =
        [
            Records.Make("t1", t.AddTicks(7), allowed: true),
            Records.Make("t1", t, agent: null, allowed: false) with { RequestId = null, ShadowWouldChange = true, ShadowPolicies = ["s1", "s2"], ResourceServer = "mcp-hr" },
            Records.Make("t1", t.AddHours(1), subject: "bob") with { MatchedPolicies = ["p-allow", "p-two"], Obligations = [new("o1", "redact"), new("o2", "log")], SnapshotVersion = long.MaxValue, LatencyMicroseconds = 0 },
        ];

        var decoded = DecisionGroupCodec.Decode("t1", DecisionGroupCodec.Encode(records));

        Assert.Equal(records.Select(Json), decoded.Select(Json));
    }

    [Fact]
    public void Decode_OtherOffset_SameInstantInUtc()
    {
        var local = new DateTimeOffset(2026, 3, 1, 14, 0, 0, TimeSpan.FromHours(2));

        var decoded = Assert.Single(DecisionGroupCodec.Decode("t1", DecisionGroupCodec.Encode([Records.Make("t1", local)])));

        Assert.Equal(local.UtcTicks, decoded.Time.UtcTicks);
        Assert.Equal(TimeSpan.Zero, decoded.Time.Offset);
    }

    [Fact]
    public void Decode_TamperedBody_InvalidDataException()
    {
        var body = DecisionGroupCodec.Encode([Records.Make(), Records.Make()]);

        Assert.Throws<InvalidDataException>(() => DecisionGroupCodec.Decode("t1", body.AsSpan(0, body.Length / 2)));
        Assert.Throws<InvalidDataException>(() => DecisionGroupCodec.Decode("t1", "not brotli at all"u8));
    }

    [Fact]
    public void Encode_RepeatedStrings_StoredOncePerGroup()
    {
        // 200 records sharing their sentences and ids: far smaller than 200 × one record's body.
        var records = Enumerable.Range(0, 200).Select(i => Records.Make("t1", new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(i))).ToArray();

        var one = DecisionGroupCodec.Encode(records[..1]).Length;
        var all = DecisionGroupCodec.Encode(records).Length;

        Assert.True(all < 200 * one / 4, $"{all} bytes for 200 records, {one} for one");
    }
}
