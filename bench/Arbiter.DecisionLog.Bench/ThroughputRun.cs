using System.Globalization;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// The cost of the decision log on the decision path: <see cref="NoLossRun"/> with a healthy SQLite sink (no delay, no
/// failures) and <c>concurrency</c> producers, <c>rounds</c> times per durability mode, the modes alternating within each
/// round so that a change of load on the shared machine hits both. Reported per round and as medians: decisions/s
/// acknowledged (evaluated and logged — with the journal, fsync'd — as a request waits before its answer leaves) and
/// records/s end to end (until all are stored), fsyncs, with the 1-minute load average (the machine is shared).
/// </summary>
public static class ThroughputRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var modes = (args.Length > 3 ? args[3] : "Memory,Journal").Split(',').Select(Enum.Parse<DecisionLogDurability>).ToArray();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {count:N0} decisions x {rounds} rounds x {string.Join("/", modes)}, {concurrency} producers; load {MachineLoad.OneMinute()}");
        var acknowledged = modes.ToDictionary(m => m, _ => new List<double>());
        var stored = modes.ToDictionary(m => m, _ => new List<double>());
        var cpu = modes.ToDictionary(m => m, _ => new List<double>());
        var failed = false;
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in modes)
            {
                var work = Path.Combine(Path.GetTempPath(), "arbiter-decision-log-bench-" + Guid.NewGuid().ToString("N")[..8]);
                try
                {
                    var cpuBefore = Environment.CpuUsage.TotalTime;
                    var r = await NoLossRun.RunAsync(new NoLossRun.Settings(count, work, TimeSpan.Zero, 0, Concurrency: concurrency, Durability: mode));
                    // CPU of the whole process (evaluation, logging, journal, SQLite) per record, until all are stored.
                    var cpuPerRecord = (Environment.CpuUsage.TotalTime - cpuBefore).TotalMicroseconds / r.Logged;
                    cpu[mode].Add(cpuPerRecord);
                    var ack = r.Logged / r.ProduceTime.TotalSeconds;
                    acknowledged[mode].Add(ack);
                    stored[mode].Add(r.RecordsPerSecond);
                    failed |= !r.Passed || r.Stats.LostTotal > 0;
                    var fsyncs = r.Stats.JournalCommits > 0 ? $", {r.Stats.JournalCommits:N0} fsyncs ({r.Logged / (double)r.Stats.JournalCommits:F1} records each)" : "";
                    Console.WriteLine($"round {round} {mode}: {ack:N0} decisions/s acknowledged, {r.RecordsPerSecond:N0} records/s stored, {cpuPerRecord:F1} µs CPU per record{fsyncs}; spilled {r.Stats.Spilled:N0}, lost {r.Stats.LostTotal}; {(r.Passed ? "no loss" : "FAILED")}; load {MachineLoad.OneMinute()}");
                }
                finally
                {
                    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
                }
            }
        }

        foreach (var mode in modes)
        {
            Console.WriteLine($"median {mode}: {Median(acknowledged[mode]):N0} decisions/s acknowledged, {Median(stored[mode]):N0} records/s stored, {Median(cpu[mode]):F1} µs CPU per record");
        }

        if (modes.Length == 2)
        {
            Console.WriteLine($"{modes[1]} / {modes[0]}: acknowledged {Median(acknowledged[modes[1]]) / Median(acknowledged[modes[0]]):P0}, stored {Median(stored[modes[1]]) / Median(stored[modes[0]]):P0}; load {MachineLoad.OneMinute()}");
        }

        return failed ? 1 : 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

}
