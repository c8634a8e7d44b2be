using System.Buffers;
using System.Text;
using System.Text.Json;
using Arbiter.Engine.Decisions;

namespace Arbiter.DecisionLog;

/// <summary>
/// One journal line: a record in a compact binary form, written on the request path (a JSON line cost about three times
/// as much CPU per record). The line keeps the journal's framing — it ends at its newline and holds no other — so a torn
/// final line and an unreadable line are found exactly as before:
/// <list type="bullet">
/// <item>byte 0 is <see cref="Format"/> (a JSON line starts with <c>{</c>, so both kinds can be read: journals written
/// before this format, and a record whose strings cannot be UTF-8, which is written as JSON);</item>
/// <item>then the fields in declaration order: strings as a varint of (UTF-8 length + 1) with 0 for null, lists as a varint
/// count, the time as UTC ticks and offset minutes, integers as zigzag varints, the two flags in one byte; the admin
/// reason as its <see cref="ReasonForm"/> (a varint), followed by its text only when the form is text; the id first,
/// after a byte saying whether it is text or its three parts (<see cref="DecisionIdParts"/>, three varints). Format 1
/// (lines of journals written before the forms) has the id and the reason as text alone, and is read as well;</item>
/// <item>every 0x0A (newline) and 0x1B in it is escaped as 0x1B 0x01 / 0x1B 0x02.</item>
/// </list>
/// Reading checks every length against the line, decodes UTF-8 strictly and requires the line to end with the last field,
/// so a damaged line is refused (counted corrupt), never read as other values.
/// </summary>
internal static class JournalLine
{
    public const byte Format = 0x02;
    private const byte TextReasonFormat = 0x01;
    // How a format 2 line holds the decision id: as text, or as its three parts (DecisionIdParts).
    private const byte IdAsText = 0, IdAsParts = 1;
    private const byte Escape = 0x1B;
    private const byte EscapedNewline = 0x01;
    private const byte EscapedEscape = 0x02;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_payload;

    /// <summary>Appends <paramref name="record"/> as one line, its newline included.</summary>
    public static void Write(ArrayBufferWriter<byte> lines, DecisionRecord record)
    {
        var payload = t_payload ??= new ArrayBufferWriter<byte>(512);
        payload.ResetWrittenCount();
        if (!TryEncode(payload, record))
        {
            // A string that is not valid UTF-16 (a lone surrogate) cannot be UTF-8; JSON escapes it losslessly.
            using (var json = new Utf8JsonWriter(lines))
            {
                JsonSerializer.Serialize(json, record, DecisionLogJsonContext.Default.DecisionRecord);
            }

            lines.Write("\n"u8);
            return;
        }

        CopyEscaped(payload.WrittenSpan, lines);
        lines.Write("\n"u8);
    }

    /// <summary>The record of one line (without its newline) in either form; null when it cannot be read.</summary>
    public static DecisionRecord? Read(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || line[0] is not (Format or TextReasonFormat))
        {
            return ReadJson(line);
        }

        var format = line[0];
        if (line.IndexOf(Escape) < 0)
        {
            return Decode(line[1..], format);
        }

        var rented = ArrayPool<byte>.Shared.Rent(line.Length);
        try
        {
            var length = Unescape(line[1..], rented);
            return length < 0 ? null : Decode(rented.AsSpan(0, length), format);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static DecisionRecord? ReadJson(ReadOnlySpan<byte> line)
    {
        try
        {
            var record = JsonSerializer.Deserialize(line, DecisionLogJsonContext.Default.DecisionRecord);
            return record is { Id.Length: > 0, TenantId.Length: > 0 } ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryEncode(ArrayBufferWriter<byte> to, DecisionRecord r)
    {
        to.Write([Format]);
        var ok = true;
        if (r.IdParts is { } id)
        {
            to.Write([IdAsParts]);
            Varints.Write(to, id.Millis);
            Varints.Write(to, id.Instance);
            Varints.Write(to, id.Count);
        }
        else
        {
            to.Write([IdAsText]);
            ok = WriteString(to, r.Id);
        }

        Varints.Write(to, (ulong)r.Time.UtcTicks);
        Varints.Write(to, Zigzag((long)r.Time.Offset.TotalMinutes));
        ok &= WriteString(to, r.TenantId) & WriteString(to, r.RequestId) & WriteString(to, r.SubjectType) & WriteString(to, r.SubjectId)
            & WriteString(to, r.AgentId) & WriteString(to, r.Action) & WriteString(to, r.ResourceType) & WriteString(to, r.ResourceId);
        to.Write([(byte)((r.Allowed ? 1 : 0) | (r.ShadowWouldChange ? 2 : 0))]);
        ok &= WriteString(to, r.Mode) & WriteStrings(to, r.MatchedPolicies);
        Varints.Write(to, (ulong)r.ReasonForm);
        if (r.ReasonForm == ReasonForm.Text)
        {
            ok &= WriteString(to, r.ReasonAdmin);
        }

        ok &= WriteString(to, r.ReasonUser);
        Varints.Write(to, (ulong)r.Obligations.Count);
        for (var i = 0; i < r.Obligations.Count; i++)
        {
            ok &= WriteString(to, r.Obligations[i].Id) & WriteString(to, r.Obligations[i].Type);
        }

        Varints.Write(to, Zigzag(r.SnapshotVersion));
        Varints.Write(to, Zigzag(r.LatencyMicroseconds));
        ok &= WriteStrings(to, r.ShadowPolicies) & WriteString(to, r.ResourceServer);
        return ok;
    }

    private static bool WriteStrings(ArrayBufferWriter<byte> to, IReadOnlyList<string> values)
    {
        Varints.Write(to, (ulong)values.Count);
        var ok = true;
        // By index: a foreach over the interface boxed an enumerator for every list of every record.
        for (var i = 0; i < values.Count; i++)
        {
            ok &= WriteString(to, values[i]);
        }

        return ok;
    }

    /// <summary>False when the string is not valid UTF-16 (the caller then writes the record as JSON).</summary>
    private static bool WriteString(ArrayBufferWriter<byte> to, string? value)
    {
        if (value is null)
        {
            Varints.Write(to, 0);
            return true;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = to.GetSpan(max + Varints.MaxBytes);
        // The length goes first; the common short string needs one varint byte, so encode after a one-byte gap and move it when longer.
        var status = System.Text.Unicode.Utf8.FromUtf16(value, span[1..], out _, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            return false;
        }

        var prefix = Varints.Length((ulong)written + 1);
        if (prefix > 1)
        {
            span.Slice(1, written).CopyTo(span[prefix..]);
        }

        Varints.Write(span, (ulong)written + 1);
        to.Advance(prefix + written);
        return true;
    }

    private static ulong Zigzag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long Unzigzag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static void CopyEscaped(ReadOnlySpan<byte> payload, ArrayBufferWriter<byte> to)
    {
        while (!payload.IsEmpty)
        {
            var at = payload.IndexOfAny((byte)'\n', Escape);
            if (at < 0)
            {
                to.Write(payload);
                return;
            }

            to.Write(payload[..at]);
            to.Write([Escape, payload[at] == '\n' ? EscapedNewline : EscapedEscape]);
            payload = payload[(at + 1)..];
        }
    }

    /// <summary>The unescaped bytes' length, or -1 for an escape that this format never writes.</summary>
    private static int Unescape(ReadOnlySpan<byte> escaped, Span<byte> to)
    {
        var length = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            var b = escaped[i];
            if (b == Escape)
            {
                if (++i == escaped.Length)
                {
                    return -1;
                }

                b = escaped[i] switch
                {
                    EscapedNewline => (byte)'\n',
                    EscapedEscape => Escape,
                    _ => 0,
                };
                if (b == 0)
                {
                    return -1;
                }
            }

            to[length++] = b;
        }

        return length;
    }

    private static DecisionRecord? Decode(ReadOnlySpan<byte> payload, byte format)
    {
        var reader = new Reader(payload);
        try
        {
            string? id = null;
            DecisionIdParts? idParts = null;
            switch (format == TextReasonFormat ? IdAsText : reader.Byte())
            {
                case IdAsText:
                    id = reader.Required();
                    break;
                case IdAsParts:
                    var millis = reader.Varint();
                    var instance = reader.Varint();
                    var count = reader.Varint();
                    idParts = new DecisionIdParts(millis, (uint)instance, count);
                    if (instance > uint.MaxValue || !idParts.Value.IsValid)
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }

            var ticks = (long)reader.Varint();
            var offset = TimeSpan.FromMinutes(Unzigzag(reader.Varint()));
            var time = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset);
            var tenant = reader.Required();
            var requestId = reader.Optional();
            var subjectType = reader.Required();
            var subjectId = reader.Required();
            var agentId = reader.Optional();
            var action = reader.Required();
            var resourceType = reader.Required();
            var resourceId = reader.Required();
            var flags = reader.Byte();
            var mode = reader.Required();
            var matched = reader.Strings();
            var formCode = format == TextReasonFormat ? 0 : reader.Varint();
            var form = formCode <= (ulong)ReasonForm.NoGrant ? (ReasonForm)formCode : (ReasonForm)(-1); // past the forms: refused below
            var reasonAdmin = form == ReasonForm.Text ? reader.Required() : "";
            var reasonUser = reader.Required();
            var obligations = new ObligationRef[reader.Count()];
            for (var i = 0; i < obligations.Length; i++)
            {
                obligations[i] = new ObligationRef(reader.Required(), reader.Required());
            }

            var version = Unzigzag(reader.Varint());
            var latency = Unzigzag(reader.Varint());
            var shadow = reader.Strings();
            var server = reader.Optional();
            if (!reader.AtEnd || flags > 3 || id?.Length == 0 || tenant.Length == 0 || !Enum.IsDefined(form))
            {
                return null;
            }

            return new DecisionRecord(id!, time, tenant, requestId, subjectType, subjectId, agentId, action, resourceType, resourceId,
                (flags & 1) != 0, mode, matched, reasonAdmin, reasonUser, obligations, version, latency, (flags & 2) != 0, shadow, server)
            {
                ReasonForm = form,
                IdParts = idParts,
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Reads fields off a payload; any length past its end, or bytes that are not UTF-8, is a <see cref="FormatException"/>.</summary>
    private ref struct Reader(ReadOnlySpan<byte> payload)
    {
        private ReadOnlySpan<byte> _rest = payload;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new FormatException("varint too long");
        }

        public byte Byte()
        {
            if (_rest.IsEmpty)
            {
                throw new FormatException("line ends inside a field");
            }

            var b = _rest[0];
            _rest = _rest[1..];
            return b;
        }

        /// <summary>A count of items that each take at least one byte, so never more than what is left.</summary>
        public int Count()
        {
            var count = Varint();
            return count > (ulong)_rest.Length ? throw new FormatException("count past the line") : (int)count;
        }

        public string? Optional()
        {
            var length = Varint();
            if (length == 0)
            {
                return null;
            }

            if (length - 1 > (ulong)_rest.Length)
            {
                throw new FormatException("string past the line");
            }

            var value = Strict.GetString(_rest[..(int)(length - 1)]);
            _rest = _rest[(int)(length - 1)..];
            return value;
        }

        public string Required() => Optional() ?? throw new FormatException("a required string is null");

        public string[] Strings()
        {
            var values = new string[Count()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Required();
            }

            return values;
        }
    }
}
