using System.Diagnostics;
using System.Globalization;
using Arbiter.Store.Sqlite;
using Arbiter.Store.Sqlite.DecisionLog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// What the SQLite sink sustains on its own (issue #22: the log's write rate must be at least the server's decision
/// rate): <c>count</c> demo-tenant records made up front, written through <see cref="SqliteDecisionLogSink"/> in
/// batches of <c>batch</c> (default: <c>DecisionLog:BatchSize</c>'s) as the flusher hands them (one writer), <c>rounds</c>
/// times into a fresh file. Reported: records/s per round and the median, the encoding's share
/// (<see cref="DecisionGroupCodec.Encode"/> of the same groups alone, on one thread), CPU per record, with the load
/// average (the machine is shared).
/// </summary>
public static class SinkRateRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : new DecisionLogOptions().BatchSize;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var records = CostRun.DemoRecords(count);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {count:N0} records in batches of {batch}, {rounds} rounds; load {MachineLoad.OneMinute()}");
        var rates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var encode = Stopwatch.StartNew();
            foreach (var chunk in records.Chunk(batch))
            {
                DecisionGroupCodec.Encode(chunk);
            }

            encode.Stop();
            var work = Path.Combine(Path.GetTempPath(), "arbiter-decision-log-sink-rate-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                using var sink = new SqliteDecisionLogSink(
                    Options.Create(new SqliteStoreOptions { SqlitePath = Path.Combine(work, "arbiter.db") }),
                    Options.Create(new DecisionLogOptions { SpillDirectory = Path.Combine(work, "spill") }),
                    TimeProvider.System,
                    NullLogger<SqliteDecisionLogSink>.Instance);
                await sink.CountAsync(CancellationToken.None); // the schema, outside the timing
                var cpu = Environment.CpuUsage.TotalTime;
                var clock = Stopwatch.StartNew();
                foreach (var chunk in records.Chunk(batch))
                {
                    await sink.WriteBatchAsync(chunk, CancellationToken.None);
                }

                clock.Stop();
                var cpuPerRecord = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / count;
                var rate = count / clock.Elapsed.TotalSeconds;
                rates.Add(rate);
                Console.WriteLine($"round {round}: {rate:N0} records/s stored ({clock.Elapsed.TotalSeconds:F2} s), {cpuPerRecord:F1} µs CPU per record; encoding alone {encode.Elapsed.TotalMicroseconds / count:F1} µs per record; load {MachineLoad.OneMinute()}");
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
        }

        rates.Sort();
        Console.WriteLine($"median: {rates[rates.Count / 2]:N0} records/s stored");
        return 0;
    }

}
