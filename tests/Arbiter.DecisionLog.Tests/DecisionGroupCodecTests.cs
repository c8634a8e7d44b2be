using Arbiter.Engine.Decisions;
using System.IO.Compression;
using System.Text;
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

    [Fact]
    public void Encode_AnyRecords_AsBinaryWriterLaysItOut()
    {
        // Bodies already stored were written with BinaryWriter (and are read with BinaryReader): the encoder's own varints
        // and strings must lay out the same bytes, or stored groups and new ones would disagree. Equal strings in
        // distinct instances (as parsed from requests) and in one instance must code alike.
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var subject = new string("ünïcødé-✓-user".AsSpan());
        DecisionRecord[] records =
        [
            Records.Make("t1", t.AddTicks(300), subject: subject) with { LatencyMicroseconds = -5, SnapshotVersion = long.MaxValue },
            Records.Make("t1", t, agent: null, allowed: false, subject: new string(subject.AsSpan())) with { RequestId = null, ShadowWouldChange = true, ShadowPolicies = ["s1", "s2"], ResourceServer = "mcp-hr" },
            Records.Make("t1", t.AddDays(3), id: new string('x', 300)) with { MatchedPolicies = ["p-allow", "p-two", "p-allow"], Obligations = [new("o1", "redact"), new("o2", "log")] },
        ];

        var plain = Decompress(DecisionGroupCodec.Encode(records));

        Assert.Equal(Layout(records), plain);
    }

    [Fact]
    public void Encode_ManyRecordsOfSharedAndFreshStrings_LayoutAndEveryRecordAsWritten()
    {
        // The encoder remembers the last string of several members by reference: a member that goes back to an earlier
        // value, an equal value in a fresh instance, null between values, and a group larger than the encoder's first
        // buffer (long ids and reasons), and reasons held as text or as a standard sentence's form, must still lay out
        // the reference exactly and read back as written.
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var random = new Random(22);
        string[] shared = ["alice", "bob", "carol", "principal", "agent-only", "user", "agent", "tools/call", "tool"];
        string Pick() => random.Next(3) switch
        {
            0 => shared[random.Next(shared.Length)],
            1 => new string(shared[random.Next(shared.Length)].AsSpan()),
            _ => "v" + random.Next(50).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string? PickOrNull() => random.Next(4) == 0 ? null : Pick();
        var records = Enumerable.Range(0, 1_500).Select(i => Records.Make("t1", t.AddTicks(random.Next(1_000_000)), subject: Pick(), agent: PickOrNull(), action: Pick(),
                resourceType: Pick(), resource: Pick(), allowed: random.Next(2) == 0, id: i % 100 == 0 ? new string('i', 200 + i) : null)
            with
            {
                RequestId = PickOrNull(),
                SubjectType = Pick(),
                ResourceServer = PickOrNull(),
                Mode = Pick(),
                ReasonAdmin = random.Next(3) == 0 ? "" : new string('r', random.Next(120)) + Pick(),
                ReasonForm = (ReasonForm)random.Next(4),
                ReasonUser = Pick(),
                MatchedPolicies = Enumerable.Range(0, random.Next(6)).Select(_ => Pick()).ToArray(),
            }).ToArray();

        var body = DecisionGroupCodec.Encode(records);

        Assert.Equal(Layout(records), Decompress(body));
        Assert.Equal(records.Select(Json), DecisionGroupCodec.Decode("t1", body).Select(Json));
    }

    [Fact]
    public void Encode_GroupAfterGroup_NullMembersStayNull()
    {
        // The encoder is reused for every group its thread encodes, and remembers the last string of several members:
        // a member that is null at the start of a group must read back as null, whatever the group before it held there.
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        DecisionRecord[] first = [Records.Make("t1", t, agent: "hr-assistant") with { RequestId = "req-9", ResourceServer = "mcp-hr" }];
        DecisionRecord[] second = [Records.Make("t1", t, agent: null) with { RequestId = null, ResourceServer = null }];

        var firstBody = DecisionGroupCodec.Encode(first);
        var secondBody = DecisionGroupCodec.Encode(second);

        Assert.Equal(first.Select(Json), DecisionGroupCodec.Decode("t1", firstBody).Select(Json));
        Assert.Equal(second.Select(Json), DecisionGroupCodec.Decode("t1", secondBody).Select(Json));
        Assert.Equal(Layout(second), Decompress(secondBody));
    }

    [Fact]
    public void Decode_GroupStoredInFormatOne_EveryRecordAsWritten()
    {
        // Groups stored before the reason forms (format 1: every admin reason a code into the table) stay readable.
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        DecisionRecord[] records =
        [
            Records.Make("t1", t, allowed: false) with { ReasonAdmin = "deny: user 'alice' is not entitled to 'tools/call' on tool 'hr.export'" },
            Records.Make("t1", t.AddTicks(9), allowed: true) with { ReasonAdmin = "permit: user-invokes-agent by p1" },
        ];
        var plain = Layout(records, format: 1);
        var body = new byte[BrotliEncoder.GetMaxCompressedLength(plain.Length)];
        Assert.True(BrotliEncoder.TryCompress(plain, body, out var written));

        var decoded = DecisionGroupCodec.Decode("t1", body.AsSpan(0, written));

        Assert.Equal(records.Select(Json), decoded.Select(Json));
        Assert.All(decoded, r => Assert.Equal(ReasonForm.Text, r.ReasonForm));
    }

    [Fact]
    public void Decode_UnknownReasonForm_InvalidDataException()
    {
        // A form this codec never writes is corruption, not a sentence to guess.
        var record = Records.Make("t1", allowed: false) with { ReasonForm = ReasonForm.NoGrant, ReasonAdmin = "" };
        var plain = Layout([record]);
        var formAt = plain.Length - 1 - 1 - 1 - 1 - 1 - 1; // shadow count, latency, version, obligations, user reason, form
        Assert.Equal((byte)ReasonForm.NoGrant, plain[formAt]);
        plain[formAt] = 9;
        var body = new byte[BrotliEncoder.GetMaxCompressedLength(plain.Length)];
        Assert.True(BrotliEncoder.TryCompress(plain, body, out var written));

        Assert.Throws<InvalidDataException>(() => DecisionGroupCodec.Decode("t1", body.AsSpan(0, written)));
    }

    private static long Zigzag(long value) => (value << 1) ^ (value >> 63);

    [Fact]
    public void Encode_DecisionIdsOfSeveralInstances_AsPartsAndReadBackAsWritten()
    {
        // Ids of this service go as their parts, after the first as differences (counts that go back, milliseconds at
        // their widest, two instances taking turns); an id that only looks like one (upper case, a character short) as text.
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        string Ours(ulong millis, uint instance, ulong count) => DecisionIds.Format(millis, instance, count);
        string[] ids =
        [
            Ours(0x019A_2B3C_4D5E, 0xDEADBEEF, 1), Ours(0x019A_2B3C_4D5E, 0xDEADBEEF, 2), Ours(0x019A_2B3C_4D5F, 0xDEADBEEF, 7),
            Ours(0x019A_2B3C_4D5D, 0xDEADBEEF, 3), Ours(0x019A_2B3C_4D60, 0x00000001, 900), Ours(0x019A_2B3C_4D60, 0xDEADBEEF, 4),
            Ours(0xFFFF_FFFF_FFFF, 0xFFFFFFFF, 0xFFFF_FFFF_FFFF), Ours(0, 0, 0), Ours(0, 0, 0),
            Ours(0x019A_2B3C_4D5E, 0xDEADBEEF, 5).ToUpperInvariant(), Ours(1, 2, 3)[..31], "d-text-id",
        ];
        var records = ids.Select((id, i) => Records.Make("t1", t.AddTicks(i), id: id)).ToArray();

        var body = DecisionGroupCodec.Encode(records);

        Assert.Equal(Layout(records), Decompress(body));
        Assert.Equal(ids, DecisionGroupCodec.Decode("t1", body).Select(r => r.Id));
        // Records that hold their ids as parts (made from the engine's decisions) write the same bytes.
        var asParts = records.Select(r => DecisionIds.TryParse(r.Id, out DecisionIdParts parts) ? r with { IdParts = parts } : r).ToArray();
        Assert.Equal(12 - 3, asParts.Count(r => r.IdParts is not null));
        Assert.Equal(body, DecisionGroupCodec.Encode(asParts));

        // A server's run: counts one after another, a millisecond every fifty. As parts, far smaller than as text.
        var run = Enumerable.Range(0, 1_000).Select(i => Records.Make("t1", t.AddTicks(i), id: Ours(0x019A_2B3C_0000 + (ulong)(i / 50), 0xC0FFEE42, 5_000 + (ulong)i))).ToArray();
        var runBody = DecisionGroupCodec.Encode(run);
        var asText = DecisionGroupCodec.Encode(run.Select(r => r with { Id = "x" + r.Id[1..] }).ToArray());
        Assert.Equal(run.Select(r => r.Id), DecisionGroupCodec.Decode("t1", runBody).Select(r => r.Id));
        Assert.True(runBody.Length * 3 < asText.Length * 2, $"{runBody.Length} bytes with ids as parts, {asText.Length} as text");
    }

    [Fact]
    public void Decode_IdPartPastItsWidth_InvalidDataException()
    {
        // A count the encoder never writes (past 48 bits) would be cut when formatted, reading back as another id.
        var record = Records.Make("t1", id: DecisionIds.Format(5, 6, 7));
        var plain = Layout([record]);
        var at = Array.IndexOf(plain, (byte)2, 1 + 1 + 8 + 1); // the id's tag, after format, count, base, table size
        var resized = plain.Take(at + 3).Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }).Concat(plain.Skip(at + 4)).ToArray();
        var bodyBytes = new byte[BrotliEncoder.GetMaxCompressedLength(resized.Length)];
        Assert.True(BrotliEncoder.TryCompress(resized, bodyBytes, out var written));

        Assert.Throws<InvalidDataException>(() => DecisionGroupCodec.Decode("t1", bodyBytes.AsSpan(0, written)));
    }

    private static byte[] Decompress(byte[] body)
    {
        using var input = new BrotliStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>
    /// The reference layout, with BinaryWriter: format 1 as the first encoder wrote it (the admin reason's code alone), or
    /// format 2 (the reason's form, then a code only for text).
    /// </summary>
    private static byte[] Layout(IReadOnlyList<DecisionRecord> records, byte format = 2)
    {
        var strings = new List<string>();
        int Code(string? value)
        {
            if (value is null)
            {
                return 0;
            }

            var at = strings.IndexOf(value);
            if (at < 0)
            {
                strings.Add(value);
                return strings.Count;
            }

            return at + 1;
        }

        var baseTicks = records.Min(r => r.Time.UtcTicks);
        (long Millis, long Instance, long Count)? last = null;
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var r in records)
            {
                w.Write7BitEncodedInt64(r.Time.UtcTicks - baseTicks);
                if (format == 1 || !System.Text.RegularExpressions.Regex.IsMatch(r.Id, "^[0-9a-f]{32}$"))
                {
                    if (format != 1)
                        w.Write((byte)0);
                    w.Write(r.Id);
                }
                else
                {
                    var parts = (Millis: Convert.ToInt64(r.Id[..12], 16), Instance: Convert.ToInt64(r.Id[12..20], 16), Count: Convert.ToInt64(r.Id[20..], 16));
                    if (last is { } l && l.Instance == parts.Instance)
                    {
                        w.Write((byte)1);
                        w.Write7BitEncodedInt64(Zigzag(parts.Millis - l.Millis));
                        w.Write7BitEncodedInt64(Zigzag(parts.Count - l.Count));
                    }
                    else
                    {
                        w.Write((byte)2);
                        w.Write7BitEncodedInt64(parts.Instance);
                        w.Write7BitEncodedInt64(parts.Millis);
                        w.Write7BitEncodedInt64(parts.Count);
                    }

                    last = parts;
                }

                foreach (var value in new[] { r.RequestId, r.SubjectType, r.SubjectId, r.AgentId, r.Action, r.ResourceType, r.ResourceId, r.ResourceServer })
                {
                    w.Write7BitEncodedInt(Code(value));
                }

                w.Write((byte)((r.Allowed ? 1 : 0) | (r.ShadowWouldChange ? 2 : 0)));
                w.Write7BitEncodedInt(Code(r.Mode));
                w.Write7BitEncodedInt(r.MatchedPolicies.Count);
                foreach (var p in r.MatchedPolicies)
                {
                    w.Write7BitEncodedInt(Code(p));
                }

                if (format == 1)
                {
                    w.Write7BitEncodedInt(Code(r.ReasonAdmin));
                }
                else
                {
                    w.Write7BitEncodedInt((int)r.ReasonForm);
                    if (r.ReasonForm == ReasonForm.Text)
                    {
                        w.Write7BitEncodedInt(Code(r.ReasonAdmin));
                    }
                }

                w.Write7BitEncodedInt(Code(r.ReasonUser));
                w.Write7BitEncodedInt(r.Obligations.Count);
                foreach (var o in r.Obligations)
                {
                    w.Write7BitEncodedInt(Code(o.Id));
                    w.Write7BitEncodedInt(Code(o.Type));
                }

                w.Write7BitEncodedInt64(r.SnapshotVersion);
                w.Write7BitEncodedInt64(r.LatencyMicroseconds);
                w.Write7BitEncodedInt(r.ShadowPolicies.Count);
                foreach (var p in r.ShadowPolicies)
                {
                    w.Write7BitEncodedInt(Code(p));
                }
            }
        }

        using var plain = new MemoryStream();
        using (var w = new BinaryWriter(plain, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(format);
            w.Write7BitEncodedInt(records.Count);
            w.Write(baseTicks);
            w.Write7BitEncodedInt(strings.Count);
            foreach (var s in strings)
            {
                w.Write(s);
            }

            w.Write(body.ToArray());
        }

        return plain.ToArray();
    }
}
