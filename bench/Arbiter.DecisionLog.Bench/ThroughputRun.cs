using System.Globalization;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// The cost of the decision log on the decision path: <see cref="NoLossRun"/> with a healthy SQLite sink (no delay, no
/// failures) and <c>concurrency</c> producers, <c>rounds</c> times. Reported per round and as medians: decisions/s
/// acknowledged (evaluated and handed to the log, as a request would be answered) and records/s end to end (until all
/// are stored), with the 1-minute load average before and after (the machine is shared).
/// </summary>
public static class ThroughputRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {count:N0} decisions x {rounds} rounds, {concurrency} producers; load {Load()}");
        var acknowledged = new List<double>();
        var stored = new List<double>();
        var failed = false;
        for (var round = 1; round <= rounds; round++)
        {
            var work = Path.Combine(Path.GetTempPath(), "arbiter-decision-log-bench-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                var r = await NoLossRun.RunAsync(new NoLossRun.Settings(count, work, TimeSpan.Zero, 0, Concurrency: concurrency));
                var ack = r.Logged / r.ProduceTime.TotalSeconds;
                acknowledged.Add(ack);
                stored.Add(r.RecordsPerSecond);
                failed |= !r.Passed || r.Stats.LostTotal > 0;
                Console.WriteLine($"round {round}: {ack:N0} decisions/s acknowledged, {r.RecordsPerSecond:N0} records/s stored; lost {r.Stats.LostTotal}; {(r.Passed ? "no loss" : "FAILED")}; load {Load()}");
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
        }

        Console.WriteLine($"median: {Median(acknowledged):N0} decisions/s acknowledged, {Median(stored):N0} records/s stored; load {Load()}");
        return failed ? 1 : 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
