using Arbiter.Engine.Decisions;
using System.Buffers;
using System.Text.Json;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The journal's binary line: every record reads back equal to what was written, whatever its strings hold (newlines,
/// the escape byte, non-ASCII, empty and null members), a line is one line (its only newline is the last byte), a record
/// that cannot be UTF-8 goes as JSON and reads back, JSON lines of older journals still read, and a damaged line is refused.
/// </summary>
public sealed class JournalLineTests
{
    private static readonly string[] Alphabet = ["a", "Z", "0", "\n", "\r", "\u001b", "\u0001", "\u0002", "\"", "\\", "é", "€", "😀", " ", "{", "\u0000"];

    [Fact]
    public void WriteRead_SeededRandomRecords_RoundTripAsOneLineEach()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 500; i++)
        {
            var record = RandomRecord(random);

            var line = WriteLine(record);

            Assert.Equal(JournalLine.Format, line[0]);
            Assert.Equal(line.Length - 1, Array.IndexOf(line, (byte)'\n'));
            var read = JournalLine.Read(line.AsSpan(0, line.Length - 1));
            AssertSame(record, read);
            Assert.Equal(record.ReasonForm, read!.ReasonForm);
        }
    }

    [Fact]
    public void Read_LineOfFormatOne_ReasonAsText()
    {
        // Journals written before the reason forms (format 1) hold the admin reason's text with no form before it, and
        // the id as text with no kind before it.
        var record = Records.Make(allowed: false) with { ReasonAdmin = "deny: no permit held" }; // a length that needs no escape
        var line = WriteLine(record)[..^1].ToList();
        var reason = System.Text.Encoding.UTF8.GetBytes(record.ReasonAdmin);
        var text = line.ToArray().AsSpan().IndexOf(reason);
        Assert.Equal((byte)ReasonForm.Text, line[text - 2]); // the form, then the text's length
        line.RemoveAt(text - 2);
        Assert.Equal(0, line[1]); // the id's kind: text (the records of these tests have ids of their own)
        line.RemoveAt(1);
        line[0] = 0x01;

        var read = JournalLine.Read(line.ToArray());

        AssertSame(record, read);
        Assert.Equal(ReasonForm.Text, read!.ReasonForm);
    }

    [Fact]
    public void Read_ReasonFormPastTheForms_Refused()
    {
        // 2^32 + 3 would be form 3 if the varint were cut to an int: a form this format never writes is damage.
        var record = Records.Make(allowed: false) with { ReasonAdmin = "", ReasonForm = ReasonForm.NoGrant };
        var line = WriteLine(record)[..^1].ToList();
        var userReason = line.ToArray().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(record.ReasonUser));
        Assert.Equal((byte)ReasonForm.NoGrant, line[userReason - 2]); // the form, then the user reason's length
        Assert.NotNull(JournalLine.Read(line.ToArray()));
        line.RemoveAt(userReason - 2);
        line.InsertRange(userReason - 2, new byte[] { 0x83, 0x80, 0x80, 0x80, 0x10 });

        Assert.Null(JournalLine.Read(line.ToArray()));
    }

    [Fact]
    public void WriteRead_IdHeldAsParts_ReadBackAsPartsOfTheSameId()
    {
        var parts = new DecisionIdParts(0x019A_2B3C_4D5E, 0xDEADBEEF, 42);
        var record = Records.Make() with { IdParts = parts };

        var line = WriteLine(record);
        var read = JournalLine.Read(line.AsSpan(0, line.Length - 1));

        Assert.Equal(parts, read!.IdParts);
        Assert.Equal(DecisionIds.Format(0x019A_2B3C_4D5E, 0xDEADBEEF, 42), read.Id);
        Assert.True(line.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(read.Id)) < 0, "the id's text is not in the line");
        AssertSame(record, read);
    }

    [Fact]
    public void WriteRead_StandardDenySentence_StoredAsItsFormAndWrittenWhenRead()
    {
        var record = Records.Make(allowed: false, subject: "alice", agent: "hr-assistant", resource: "hr.export") with { ReasonAdmin = "", ReasonForm = ReasonForm.NoGrant };

        var line = WriteLine(record);
        var read = JournalLine.Read(line.AsSpan(0, line.Length - 1));

        Assert.Equal(ReasonForm.NoGrant, read!.ReasonForm);
        Assert.Equal("deny: agent 'hr-assistant' holds no principal grant for 'tools/call' on tool 'hr.export'", read.ReasonAdmin);
        Assert.True(line.AsSpan().IndexOf("holds no"u8) < 0, "the sentence itself is not in the line");
    }

    [Fact]
    public void WriteRead_StringThatIsNotUtf16_WrittenAsJsonAndReadBack()
    {
        var record = Records.Make(subject: "bad\ud800surrogate");

        var line = WriteLine(record);

        Assert.Equal((byte)'{', line[0]);
        AssertSame(record, JournalLine.Read(line.AsSpan(0, line.Length - 1)));
    }

    [Fact]
    public void Read_JsonLineOfAnOlderJournal_Read()
    {
        var record = Records.Make();
        var json = JsonSerializer.SerializeToUtf8Bytes(record, DecisionLogJsonContext.Default.DecisionRecord);

        AssertSame(record, JournalLine.Read(json));
    }

    [Fact]
    public void Read_EveryTruncationAndEveryFlippedByte_NeverThrowsAndNeverReadsOtherIds()
    {
        var record = Records.Make(id: "d-original");
        var line = WriteLine(record)[..^1];
        for (var cut = 0; cut < line.Length; cut++)
        {
            Assert.Null(JournalLine.Read(line.AsSpan(0, cut)));
        }

        var changed = 0;
        for (var at = 0; at < line.Length; at++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                var damaged = (byte[])line.Clone();
                damaged[at] ^= mask;
                var read = JournalLine.Read(damaged);
                // A flip inside a string's bytes may still decode (there is no checksum, as there was none in JSON lines);
                // a flip in the framing never reads past the line, never throws.
                if (read is not null && !Same(record, read))
                    changed++;
            }
        }
        Assert.True(changed < line.Length * 3, "some damage must be refused");
    }

    [Fact]
    public void Read_UnknownEscape_Refused()
    {
        var line = WriteLine(Records.Make(id: "d\u001bx"))[..^1];
        var at = Array.IndexOf(line, (byte)0x1B);
        line[at + 1] = 0x07;

        Assert.Null(JournalLine.Read(line));
    }

    private static byte[] WriteLine(DecisionRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JournalLine.Write(buffer, record);
        return buffer.WrittenSpan.ToArray();
    }

    private static DecisionRecord RandomRecord(Random random)
    {
        string Text(int max)
        {
            var n = random.Next(max + 1);
            return string.Concat(Enumerable.Range(0, n).Select(_ => Alphabet[random.Next(Alphabet.Length)]));
        }
        string Required() => "x" + Text(40);
        string? Optional() => random.Next(3) == 0 ? null : Text(30);
        string[] List() => [.. Enumerable.Range(0, random.Next(4)).Select(_ => Required())];
        var offset = TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1));
        return new DecisionRecord(
            Required(),
            new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero).ToOffset(offset),
            Required(), Optional(), Required(), Required(), Optional(), Required(), Required(), Required(),
            random.Next(2) == 0, Required(), List(), Text(300), Text(80),
            [.. Enumerable.Range(0, random.Next(3)).Select(_ => new ObligationRef(Required(), Required()))],
            random.NextInt64(long.MinValue, long.MaxValue), random.NextInt64(-5, long.MaxValue), random.Next(2) == 0, List(), Optional())
        {
            ReasonForm = (ReasonForm)random.Next(4),
        };
    }

    private static void AssertSame(DecisionRecord expected, DecisionRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Same(expected, actual), $"read back differs:\n{Json(expected)}\n{Json(actual)}");
        Assert.Equal(expected.Time.Offset, actual.Time.Offset);
    }

    private static bool Same(DecisionRecord a, DecisionRecord b) => Json(a) == Json(b);

    private static string Json(DecisionRecord r) => JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord);
}
