using System.Buffers;
using Arbiter.Engine.Compression;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Arbiter.DecisionLog;

/// <summary>
/// Many records of one tenant as one compact, compressed body: the stored form of a decision group in every sink
/// (the SQLite <c>body</c> column, the Cosmos DB group item's <c>z</c>). Layout before compression (little endian,
/// 7-bit varints): format byte, record count, base time (UTC ticks), the string table (each distinct string of the
/// group once: ids of subjects, agents, tools, policies, obligations, and the reason sentences), then per record its
/// time as ticks after the base, its id, and every other member as a code into the table (0 = null).
/// <para>Why the sentences stay: a reason is written by the engine from the snapshot it decided under (policy names,
/// missing grants), and that snapshot may be long gone when an investigator reads the record; in a table of the group's
/// distinct strings a sentence costs its bytes once per group, and Brotli then folds what the sentences share.</para>
/// <para>Brotli at quality 1 (window 22). On the benchmark scenario's records (20,000 users; 151 bytes per record before
/// compression, groups of 1,000): quality 1 writes 43 bytes per record for 0.54–0.58 µs of CPU, quality 2 37 bytes for
/// 0.97–1.14 µs, quality 0 47 bytes for 0.39–0.50 µs. The sink's encoding is the largest part of what the log costs
/// per decision on a busy server (a fifth of its CPU in batches of 100), and 43 bytes is far under the 200 a record
/// may take; quality 5 (an earlier choice) was 3.7–6.5 µs for ~6 % fewer bytes than quality 2.</para>
/// </summary>
public static class DecisionGroupCodec
{
    private const byte Format = 1;
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
        // By reference first: most strings of a group are the same instances (the snapshot's policy ids, sentences and
        // obligations, the request's subject and action), whose lookup then hashes no characters. By value second.
        private readonly Dictionary<string, int> _byReference = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, int> _byValue = new(StringComparer.Ordinal);
        private readonly List<string> _strings = [];
        private readonly ArrayBufferWriter<byte> _body = new(64 * 1024);
        private readonly ArrayBufferWriter<byte> _plain = new(96 * 1024);

        public void Reset()
        {
            _byReference.Clear();
            _byValue.Clear();
            _strings.Clear();
            _body.ResetWrittenCount();
            _plain.ResetWrittenCount();
        }

        public byte[] Encode(IReadOnlyList<DecisionRecord> records)
        {
            var baseTicks = records[0].Time.UtcTicks;
            for (var i = 1; i < records.Count; i++)
            {
                baseTicks = Math.Min(baseTicks, records[i].Time.UtcTicks);
            }

            var w = _body;
            for (var i = 0; i < records.Count; i++)
            {
                var r = records[i];
                Varints.Write(w, (ulong)(r.Time.UtcTicks - baseTicks));
                Text(w, r.Id);
                Varints.Write(w, Code(r.RequestId));
                Varints.Write(w, Code(r.SubjectType));
                Varints.Write(w, Code(r.SubjectId));
                Varints.Write(w, Code(r.AgentId));
                Varints.Write(w, Code(r.Action));
                Varints.Write(w, Code(r.ResourceType));
                Varints.Write(w, Code(r.ResourceId));
                Varints.Write(w, Code(r.ResourceServer));
                w.GetSpan(1)[0] = (byte)((r.Allowed ? 1 : 0) | (r.ShadowWouldChange ? 2 : 0));
                w.Advance(1);
                Varints.Write(w, Code(r.Mode));
                Codes(w, r.MatchedPolicies);
                Varints.Write(w, Code(r.ReasonAdmin));
                Varints.Write(w, Code(r.ReasonUser));
                Varints.Write(w, (uint)r.Obligations.Count);
                for (var o = 0; o < r.Obligations.Count; o++)
                {
                    Varints.Write(w, Code(r.Obligations[o].Id));
                    Varints.Write(w, Code(r.Obligations[o].Type));
                }

                Varints.Write(w, (ulong)r.SnapshotVersion);
                Varints.Write(w, (ulong)r.LatencyMicroseconds);
                Codes(w, r.ShadowPolicies);
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
                Text(p, s);
            }

            p.Write(_body.WrittenSpan);
            return Compress(p.WrittenSpan);
        }

        private uint Code(string? value)
        {
            if (value is null)
            {
                return 0;
            }

            if (_byReference.TryGetValue(value, out var code))
            {
                return (uint)code;
            }

            if (!_byValue.TryGetValue(value, out code))
            {
                _strings.Add(value);
                code = _strings.Count;
                _byValue[value] = code;
            }

            _byReference[value] = code;
            return (uint)code;
        }

        private void Codes(ArrayBufferWriter<byte> w, IReadOnlyList<string> values)
        {
            Varints.Write(w, (uint)values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                Varints.Write(w, Code(values[i]));
            }
        }

        // Varints as BinaryWriter writes them (Decode reads them with BinaryReader): a negative int64 takes 10 bytes, an
        // int code or count at most 5.
        // BinaryWriter.Write(string): the UTF-8 byte count as a 7-bit varint, then the bytes.
        private static void Text(ArrayBufferWriter<byte> w, string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Varints.Write(w, (uint)length);
            var written = Encoding.UTF8.GetBytes(value, w.GetSpan(length));
            w.Advance(written);
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
            if (r.ReadByte() != Format)
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
            for (var i = 0; i < count; i++)
            {
                var time = new DateTimeOffset(baseTicks + r.Read7BitEncodedInt64(), TimeSpan.Zero);
                var id = r.ReadString();
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
                var reasonAdmin = Required(r.Read7BitEncodedInt());
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
                    (flags & 2) != 0, shadow, server));
            }

            return records;
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or ArgumentException)
        {
            throw new InvalidDataException("Corrupt decision group.", ex);
        }
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
