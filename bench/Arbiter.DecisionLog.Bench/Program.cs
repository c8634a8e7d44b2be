using System.Globalization;
using Arbiter.DecisionLog.Bench;

// decision-log [count] [batch-delay-ms] [failure-rate]: the no-loss figure (see NoLossRun).
// throughput [count] [concurrency] [rounds]: decisions/s acknowledged and stored over a healthy SQLite sink (see ThroughputRun).
// cost [count]: bytes and Cosmos RU per decision, today and grouped (see CostRun).
// sink-rate [count] [batch] [rounds]: records/s the SQLite sink stores on its own (see SinkRateRun).
// journal-line [count] [rounds]: CPU per journal line written, binary against JSON (see JournalLineRun).
// encode [scenario.json] [rounds]: CPU per record of the sink's group encoding on the benchmark scenario's records as a server makes them (see EncodeRun).
if (args.Length > 0 && args[0] == "cost")
{
    return await CostRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "sink-rate")
{
    return await SinkRateRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "journal-line")
{
    return await JournalLineRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "encode")
{
    return await EncodeRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "throughput")
{
    return await ThroughputRun.RunAsync(args[1..]);
}

if (args.Length == 0 || args[0] != "decision-log")
{
    Console.Error.WriteLine("usage: Arbiter.DecisionLog.Bench decision-log [count=1000000] [batch-delay-ms=5] [failure-rate=0.05]");
    Console.Error.WriteLine("       Arbiter.DecisionLog.Bench throughput [count=200000] [concurrency=64] [rounds=5]");
    Console.Error.WriteLine("       Arbiter.DecisionLog.Bench cost [count=100000]");
    Console.Error.WriteLine("       Arbiter.DecisionLog.Bench sink-rate [count=200000] [batch=2000] [rounds=3]");
    Console.Error.WriteLine("       Arbiter.DecisionLog.Bench journal-line [count=100000] [rounds=5]");
    Console.Error.WriteLine("       Arbiter.DecisionLog.Bench encode [scenario.json] [rounds=7]");
    return 2;
}

var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
var delay = TimeSpan.FromMilliseconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5);
var failureRate = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 0.05;
var work = Path.Combine(Path.GetTempPath(), "arbiter-decision-log-bench-" + Guid.NewGuid().ToString("N")[..8]);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {count:N0} decisions, sink delay {delay.TotalMilliseconds} ms/batch, failure rate {failureRate:P0}, SQLite in {work}");
try
{
    var r = await NoLossRun.RunAsync(new NoLossRun.Settings(count, work, delay, failureRate));
    var s = r.Stats;
    Console.WriteLine($"decisions logged: {r.Logged:N0} ({r.Permits:N0} permits) in {r.ProduceTime.TotalSeconds:F1} s of evaluation+logging");
    Console.WriteLine($"elapsed until all stored: {r.Elapsed.TotalSeconds:F1} s -> {r.RecordsPerSecond:N0} records/s end to end");
    Console.WriteLine($"stored rows: {r.Rows:N0}, distinct ids: {r.DistinctIds:N0}");
    Console.WriteLine($"written (store writes, incl. re-writes): {s.Written:N0} in {s.Batches:N0} batches; retried batches: {s.Retried:N0}; sink failures injected: {r.FailedWrites:N0}");
    Console.WriteLine($"spilled to disk: {s.Spilled:N0}; drained back: {s.Drained:N0}; lost: {s.LostTotal:N0} {string.Join(", ", s.Lost.Select(kv => $"{kv.Key}={kv.Value}"))}");
    Console.WriteLine($"max queue depth: {s.MaxQueueDepth:N0} (capacity 50,000); spill left on disk: {(r.SpillEmpty ? "none" : "yes")}; peak working set: {r.PeakWorkingSet / 1024.0 / 1024.0:F0} MB");
    Console.WriteLine(r.Passed ? "NO LOSS: every decision stored exactly once or counted lost with a reason" : "FAILED: stored records do not account for every decision");
    return r.Passed ? 0 : 1;
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}
