using System.Buffers;
using Arbiter.Engine.Compression;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Arbiter.DecisionLog;

/// <summary>
/// Many records of one tenant as one compact, compressed body: the stored form of a decision group in every sink
/// (the SQLite <c>body</c> column, the Cosmos DB group item's <c>z</c>). Layout before compression (little endian,
/// 7-bit varints): format byte, record count, base time (UTC ticks), the string table (each distinct string of the
/// group once: ids of subjects, agents, tools, policies, obligations, and the reason sentences held as text), then per
/// record its time as ticks after the base, its id (one of ours as its three parts, after the first of the group as
/// differences from the previous; any other as text), its admin reason's form (<see cref="ReasonForm"/>, with a code only
/// for text), and every other member as a code into the table (0 = null).
/// <para>Which sentences stay: a reason that names policies (a permit's, a forbid's) or a leg's notes is written by the
/// engine from the snapshot it decided under, and that snapshot may be long gone when an investigator reads the record,
/// so it is kept as text; in a table of the group's distinct strings it costs its bytes once per group, and Brotli then
/// folds what the sentences share. A standard deny sentence names only the record's own subject, agent, action and
/// resource, so only its form is stored: it was a distinct string of ~100 bytes in nearly every deny.</para>
/// <para>Brotli at quality 1 (window 22). On the benchmark scenario's records (20,000 users; 151 bytes per record before
/// compression, groups of 1,000): quality 1 writes 43 bytes per record for 0.54–0.58 µs of CPU, quality 2 37 bytes for
/// 0.97–1.14 µs, quality 0 47 bytes for 0.39–0.50 µs. The sink's encoding is the largest part of what the log costs
/// per decision on a busy server (a fifth of its CPU in batches of 100), and 43 bytes is far under the 200 a record
/// may take; quality 5 (an earlier choice) was 3.7–6.5 µs for ~6 % fewer bytes than quality 2. Those are Brotli's
/// figures; the whole encoding of a server's records (fresh strings, made on another thread long before) is what
/// <c>Arbiter.DecisionLog.Bench encode</c> measures: 1.6 µs a record, from 2.5 before the table was coded by value
/// with the last string per member remembered and the records fetched ahead. Format 2 (reason forms, ids as parts)
/// stores 34.2 bytes a record there, from 43.5.</para>
/// </summary>
public static class DecisionGroupCodec
{
    // Format 2 holds the admin reason as its form, with a code into the table only for text; format 1 (groups stored
    // before the forms) has the code alone, and is read as well.
    private const byte Format = 2;
    private const byte TextReasonFormat = 1;
    // How a format 2 record's id is written: as text, as the differences from the group's previous id of the same
    // instance, or as its three parts.
    private const byte TextId = 0, NextId = 1, InstanceId = 2;
    private const int Quality = 1;
    private const int Window = 22;

    /// <summary>The compressed body of <paramref name="records"/> (all of one tenant; at least one). Safe to call on several threads at once.</summary>
    public static byte[] Encode(IReadOnlyList<DecisionRecord> records)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        // The table and buffers are reused per thread: a group of 1,000 records would otherwise allocate and zero them
        // anew (~100 KB) for every group, a visible share of the encoding's CPU.
        var e = t_encoder ??= new GroupEncoder();
        try
        {
            return e.Encode(records);
        }
        finally
        {
            e.Reset();
        }
    }

    [ThreadStatic]
    private static GroupEncoder? t_encoder;

    /// <summary>One encoding's string table and buffers (see <see cref="Encode"/>).</summary>
    private sealed class GroupEncoder
    {
        // Strings by value: most of a record's strings are fresh instances (a server parses every request anew), for
        // which a lookup by reference would first have to give the object a hash code in its header, then miss.
        private readonly Dictionary<string, int> _byValue = new(StringComparer.Ordinal);
        private readonly List<string> _strings = [];
        private readonly ArrayBufferWriter<byte> _plain = new(96 * 1024);
        // The records' part, written by position into one array (an ArrayBufferWriter's checks per varint were a visible
        // share of the encoding).
        private byte[] _body = new byte[64 * 1024];
        private int _at;
        // Per member, the last string coded and its code: the records of one request share its id, and consecutive ones
        // mostly their subject type, action, resource type, mode and user reason, as the same instances.
        private readonly string?[] _last = new string?[Slots];
        private readonly uint[] _lastCode = new uint[Slots];

        // The last id written as its parts (see Id).
        private bool _haveId;
        private ulong _lastMillis, _lastCount;
        private uint _lastInstance;

        private const int Slots = 9;
        private const int RequestSlot = 0, SubjectTypeSlot = 1, SubjectSlot = 2, AgentSlot = 3, ActionSlot = 4, ResourceTypeSlot = 5,
            ServerSlot = 6, ModeSlot = 7, ReasonUserSlot = 8;

        public void Reset()
        {
            _byValue.Clear();
            _strings.Clear();
            Array.Clear(_last);
            Array.Clear(_lastCode);
            _haveId = false;
            _at = 0;
            _plain.ResetWrittenCount();
        }

        public byte[] Encode(IReadOnlyList<DecisionRecord> records)
        {
            var baseTicks = records[0].Time.UtcTicks;
            for (var i = 1; i < records.Count; i++)
            {
                baseTicks = Math.Min(baseTicks, records[i].Time.UtcTicks);
            }

            for (var i = 0; i < records.Count; i++)
            {
                Ahead(records, i);
                var r = records[i];
                // Room for every fixed member at its largest (a varint is at most 10 bytes), the id at 3 bytes a char, and
                // the lists at 5 bytes a code.
                Reserve(1 + 24 * Varints.MaxBytes + (r.IdParts is null ? 3 * r.Id.Length : 0) + 5 * (r.MatchedPolicies.Count + r.ShadowPolicies.Count + 2 * r.Obligations.Count));
                Varint((ulong)(r.Time.UtcTicks - baseTicks));
                Id(r);
                Varint(Code(r.RequestId, RequestSlot));
                Varint(Code(r.SubjectType, SubjectTypeSlot));
                Varint(Code(r.SubjectId, SubjectSlot));
                Varint(Code(r.AgentId, AgentSlot));
                Varint(Code(r.Action, ActionSlot));
                Varint(Code(r.ResourceType, ResourceTypeSlot));
                Varint(Code(r.ResourceId));
                Varint(Code(r.ResourceServer, ServerSlot));
                _body[_at++] = (byte)((r.Allowed ? 1 : 0) | (r.ShadowWouldChange ? 2 : 0));
                Varint(Code(r.Mode, ModeSlot));
                Codes(r.MatchedPolicies);
                Varint((uint)r.ReasonForm);
                if (r.ReasonForm == ReasonForm.Text)
                {
                    Varint(Code(r.ReasonAdmin));
                }

                Varint(Code(r.ReasonUser, ReasonUserSlot));
                Varint((uint)r.Obligations.Count);
                for (var o = 0; o < r.Obligations.Count; o++)
                {
                    Varint(Code(r.Obligations[o].Id));
                    Varint(Code(r.Obligations[o].Type));
                }

                Varint((ulong)r.SnapshotVersion);
                Varint((ulong)r.LatencyMicroseconds);
                Codes(r.ShadowPolicies);
            }

            var p = _plain;
            p.GetSpan(1)[0] = Format;
            p.Advance(1);
            Varints.Write(p, (uint)records.Count);
            BinaryPrimitives.WriteInt64LittleEndian(p.GetSpan(8), baseTicks);
            p.Advance(8);
            Varints.Write(p, (uint)_strings.Count);
            foreach (var s in _strings)
            {
                var length = Encoding.UTF8.GetByteCount(s);
                Varints.Write(p, (uint)length);
                p.Advance(Encoding.UTF8.GetBytes(s, p.GetSpan(length)));
            }

            p.Write(_body.AsSpan(0, _at));
            return Compress(p.WrittenSpan);
        }

        // Records reach the encoder long after they were made, and on another thread: each record and each of its own
        // strings is a cache miss. Asked for a few records ahead — the record itself eight ahead, the strings its
        // members point to four ahead (by then the record's lines are in) — the misses overlap instead of following
        // each other.
        private const int RecordsAhead = 8, StringsAhead = 4;

        private static void Ahead(IReadOnlyList<DecisionRecord> records, int i)
        {
            if (i + RecordsAhead < records.Count)
            {
                CacheLine.Prefetch(records[i + RecordsAhead], 0, RecordBytes);
            }

            if (i + StringsAhead < records.Count)
            {
                var r = records[i + StringsAhead];
                if (r.IdText is { } id)
                {
                    CacheLine.Prefetch(id, 0, 64);
                }

                CacheLine.Prefetch(r.SubjectId, 0, 64);
                CacheLine.Prefetch(r.ResourceId, 0, 64);
                if (r.AgentId is { } agent)
                {
                    CacheLine.Prefetch(agent, 0, 64);
                }

                if (r.MatchedPolicies is string[] { Length: > 0 } matched)
                {
                    CacheLine.Prefetch(matched, 0, 64);
                }
            }
        }

        // A record's fields: fifteen references and seven numbers, past the object's header.
        private const int RecordBytes = 8 + 15 * 8 + 7 * 8;

        private void Reserve(int bytes)
        {
            if (_body.Length - _at < bytes)
            {
                Array.Resize(ref _body, Math.Max(_body.Length * 2, _at + bytes));
            }
        }

        private void Varint(ulong value)
        {
            if (value < 0x80)
            {
                _body[_at++] = (byte)value;
                return;
            }

            _at += Varints.Write(_body.AsSpan(_at), value);
        }

        private uint Code(string? value, int slot)
        {
            // Null is code 0 in every group. Checked first: after Reset a slot remembers null, and the code beside it
            // would otherwise be the previous group's.
            if (value is null)
            {
                return 0;
            }

            if (ReferenceEquals(value, _last[slot]))
            {
                return _lastCode[slot];
            }

            var code = Code(value);
            _last[slot] = value;
            _lastCode[slot] = code;
            return code;
        }

        private uint Code(string? value)
        {
            if (value is null)
            {
                return 0;
            }

            ref var code = ref CollectionsMarshal.GetValueRefOrAddDefault(_byValue, value, out var exists);
            if (!exists)
            {
                _strings.Add(value);
                code = _strings.Count;
            }

            return (uint)code;
        }

        private void Codes(IReadOnlyList<string> values)
        {
            Varint((uint)values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                Varint(Code(values[i]));
            }
        }

        /// <summary>
        /// A decision id: as its three parts when it is one of ours (the record's <see cref="DecisionRecord.IdParts"/>, or
        /// text that <see cref="DecisionIds.TryParse"/> reads) — after the
        /// previous id of the group from the same instance, the differences of its milliseconds and its count, a byte or
        /// two each where the 32 characters were 33 bytes of nearly incompressible text; else the instance too — or as text.
        /// </summary>
        private void Id(DecisionRecord r)
        {
            if (r.IdParts is not { } parts && !DecisionIds.TryParse(r.Id, out parts))
            {
                _body[_at++] = TextId;
                Text(r.Id);
                return;
            }

            var (millis, instance, count) = parts;

            if (_haveId && instance == _lastInstance)
            {
                _body[_at++] = NextId;
                Varint(Zigzag((long)(millis - _lastMillis)));
                Varint(Zigzag((long)(count - _lastCount)));
            }
            else
            {
                _body[_at++] = InstanceId;
                Varint(instance);
                Varint(millis);
                Varint(count);
            }

            (_haveId, _lastMillis, _lastInstance, _lastCount) = (true, millis, instance, count);
        }

        private static ulong Zigzag(long value) => (ulong)((value << 1) ^ (value >> 63));

        // BinaryWriter.Write(string): the UTF-8 byte count as a 7-bit varint, then the bytes (Reserve made room for both).
        private void Text(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Varint((uint)length);
            _at += Encoding.UTF8.GetBytes(value, _body.AsSpan(_at));
        }
    }

    /// <summary>The records of a body made by <see cref="Encode"/>, in the order they were given, as records of <paramref name="tenantId"/>.</summary>
    /// <exception cref="InvalidDataException">Not a body this codec wrote (corrupt or of an unknown format).</exception>
    public static List<DecisionRecord> Decode(string tenantId, ReadOnlySpan<byte> compressed)
    {
        var plain = Decompress(compressed);
        try
        {
            using var r = new BinaryReader(new MemoryStream(plain.Array!, plain.Offset, plain.Count, writable: false), Encoding.UTF8);
            var format = r.ReadByte();
            if (format is not (Format or TextReasonFormat))
            {
                throw new InvalidDataException("Unknown decision group format.");
            }

            var count = r.Read7BitEncodedInt();
            var baseTicks = r.ReadInt64();
            var stringCount = r.Read7BitEncodedInt();
            if (count < 0 || stringCount < 0 || stringCount > plain.Count)
            {
                throw new InvalidDataException("Corrupt decision group.");
            }

            var strings = new string?[stringCount + 1];
            for (var i = 1; i <= stringCount; i++)
            {
                strings[i] = r.ReadString();
            }

            string? S(int code) => (uint)code < (uint)strings.Length ? strings[code] : throw new InvalidDataException("Corrupt decision group.");
            string Required(int code) => S(code) ?? throw new InvalidDataException("Corrupt decision group.");
            var records = new List<DecisionRecord>(Math.Min(count, 100_000));
            var ids = new IdReader();
            for (var i = 0; i < count; i++)
            {
                var time = new DateTimeOffset(baseTicks + r.Read7BitEncodedInt64(), TimeSpan.Zero);
                var id = format == TextReasonFormat ? r.ReadString() : ids.Read(r);

                var requestId = S(r.Read7BitEncodedInt());
                var subjectType = Required(r.Read7BitEncodedInt());
                var subjectId = Required(r.Read7BitEncodedInt());
                var agentId = S(r.Read7BitEncodedInt());
                var action = Required(r.Read7BitEncodedInt());
                var resourceType = Required(r.Read7BitEncodedInt());
                var resourceId = Required(r.Read7BitEncodedInt());
                var server = S(r.Read7BitEncodedInt());
                var flags = r.ReadByte();
                var mode = Required(r.Read7BitEncodedInt());
                var matched = Strings(r, Required);
                var form = format == TextReasonFormat ? ReasonForm.Text : (ReasonForm)r.Read7BitEncodedInt();
                if (!Enum.IsDefined(form))
                {
                    throw new InvalidDataException("Corrupt decision group.");
                }

                var reasonAdmin = form == ReasonForm.Text ? Required(r.Read7BitEncodedInt()) : "";
                var reasonUser = Required(r.Read7BitEncodedInt());
                var obligationCount = r.Read7BitEncodedInt();
                ObligationRef[] obligations = obligationCount == 0 ? [] : new ObligationRef[CheckedCount(obligationCount, plain.Count)];
                for (var o = 0; o < obligations.Length; o++)
                {
                    obligations[o] = new ObligationRef(Required(r.Read7BitEncodedInt()), Required(r.Read7BitEncodedInt()));
                }

                var snapshot = r.Read7BitEncodedInt64();
                var latency = r.Read7BitEncodedInt64();
                var shadow = Strings(r, Required);
                records.Add(new DecisionRecord(
                    id, time, tenantId, requestId, subjectType, subjectId, agentId, action, resourceType, resourceId,
                    (flags & 1) != 0, mode, matched, reasonAdmin, reasonUser, obligations, snapshot, latency,
                    (flags & 2) != 0, shadow, server)
                {
                    ReasonForm = form,
                });
            }

            return records;
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or ArgumentException)
        {
            throw new InvalidDataException("Corrupt decision group.", ex);
        }
    }

    /// <summary>
    /// Reads the ids of format 2 (see <c>GroupEncoder.Id</c>), remembering the last one written as its parts. Each is
    /// read as text: a query compares and sorts records by id, which would write the text again each time.
    /// </summary>
    private struct IdReader
    {
        private bool _have;
        private ulong _millis, _count;
        private uint _instance;

        public string Read(BinaryReader r)
        {
            switch (r.ReadByte())
            {
                case TextId:
                    return r.ReadString();
                case NextId when _have:
                    _millis += (ulong)Unzigzag((ulong)r.Read7BitEncodedInt64());
                    _count += (ulong)Unzigzag((ulong)r.Read7BitEncodedInt64());
                    break;
                case InstanceId:
                    var instance = (ulong)r.Read7BitEncodedInt64();
                    _instance = instance <= uint.MaxValue ? (uint)instance : throw new InvalidDataException("Corrupt decision group.");
                    _millis = (ulong)r.Read7BitEncodedInt64();
                    _count = (ulong)r.Read7BitEncodedInt64();
                    _have = true;
                    break;
                default:
                    throw new InvalidDataException("Corrupt decision group.");
            }

            // A part past its width would be cut when written, and read back as another id.
            var parts = new DecisionIdParts(_millis, _instance, _count);
            return parts.IsValid ? parts.ToString() : throw new InvalidDataException("Corrupt decision group.");
        }

        private static long Unzigzag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
    }

    private static string[] Strings(BinaryReader r, Func<int, string> resolve)
    {
        var count = r.Read7BitEncodedInt();
        if (count == 0)
        {
            return [];
        }

        var values = new string[CheckedCount(count, (int)r.BaseStream.Length)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = resolve(r.Read7BitEncodedInt());
        }

        return values;
    }

    // Every element takes at least one byte: a count past the body's length is corruption, not an allocation to make.
    private static int CheckedCount(int count, int bodyLength) =>
        count < 0 || count > bodyLength ? throw new InvalidDataException("Corrupt decision group.") : count;

    private static byte[] Compress(ReadOnlySpan<byte> plain)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(plain.Length));
        try
        {
            if (!BrotliEncoder.TryCompress(plain, buffer, out var written, Quality, Window))
            {
                throw new InvalidOperationException("Brotli could not compress a decision group.");
            }

            return buffer.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Bodies are written by this codec (at most a few MB); a body that inflates past the bound is refused, not buffered.
    private const int MaxPlainBytes = 64 * 1024 * 1024;

    private static ArraySegment<byte> Decompress(ReadOnlySpan<byte> compressed) =>
        BoundedBrotli.Decompress(compressed, MaxPlainBytes, 8, "Decision group larger than any this codec writes.");
}
