using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// journal-line [count] [rounds]: what writing one journal line costs on the request's thread — the binary
/// <see cref="JournalLine"/> against the JSON line the journal wrote before (same demo records, same buffer reuse),
/// rounds alternating; CPU time per record and bytes per line, and the time to read each form back.
/// </summary>
internal static class JournalLineRun
{
    public static Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var records = CostRun.DemoRecords(count);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using var json = new Utf8JsonWriter(buffer);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load {File.ReadAllText("/proc/loadavg").Trim()}; {count:N0} demo records, {rounds} rounds");
        for (var round = 0; round <= rounds; round++)
        {
            var (jsonWrite, jsonBytes, jsonRead) = Measure(records, buffer, r =>
            {
                json.Reset(buffer);
                JsonSerializer.Serialize(json, r, DecisionLogJsonContext.Default.DecisionRecord);
                json.Flush();
                buffer.Write("\n"u8);
            });
            var (lineWrite, lineBytes, lineRead) = Measure(records, buffer, r => JournalLine.Write(buffer, r));
            if (round == 0)
                continue; // warm-up: both paths jitted and tiered
            Console.WriteLine($"round {round}: JSON line {jsonWrite:F0} ns/record write, {jsonRead:F0} ns read, {jsonBytes:F0} B | binary line {lineWrite:F0} ns write, {lineRead:F0} ns read, {lineBytes:F0} B | write ratio {lineWrite / jsonWrite:F2}");
        }
        return Task.FromResult(0);
    }

    private static (double WriteNs, double Bytes, double ReadNs) Measure(IReadOnlyList<DecisionRecord> records, ArrayBufferWriter<byte> buffer, Action<DecisionRecord> write)
    {
        long bytes = 0;
        var writeTicks = 0L;
        var readTicks = 0L;
        var read = 0;
        // Lines are written per group of 100 (a batch request's append), then read back, then the buffer is reused.
        for (var start = 0; start < records.Count; start += 100)
        {
            buffer.ResetWrittenCount();
            var t0 = Stopwatch.GetTimestamp();
            for (var i = start; i < Math.Min(start + 100, records.Count); i++)
                write(records[i]);
            writeTicks += Stopwatch.GetTimestamp() - t0;
            bytes += buffer.WrittenCount;
            var t1 = Stopwatch.GetTimestamp();
            var span = buffer.WrittenSpan;
            foreach (var range in span.Split((byte)'\n'))
            {
                if (span[range].Length > 0 && JournalLine.Read(span[range]) is not null)
                    read++;
            }
            readTicks += Stopwatch.GetTimestamp() - t1;
        }
        if (read != records.Count)
            throw new InvalidOperationException($"read back {read} of {records.Count}");
        double PerRecord(long ticks) => ticks * 1e9 / Stopwatch.Frequency / records.Count;
        return (PerRecord(writeTicks), (double)bytes / records.Count, PerRecord(readTicks));
    }
}
