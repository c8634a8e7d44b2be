using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Arbiter.DecisionLog;
using Arbiter.Engine.Snapshots;
using Arbiter.Replay.Bench;
using Arbiter.Runtime.Replay;

// Impact replay over a generated log of N records (bench/Arbiter.Replay.Bench/README.md): records/s, and the managed
// heap after each page, to show that memory does not grow with the period replayed.
var counts = args.Length > 0 ? args[0].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray() : [100_000, 1_000_000];
var root = args.Length > 1 ? args[1] : FindRoot();
using var seed = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "infra/seed/demo-tenant.json")));
var problems = new List<Arbiter.Engine.Policies.Problem>();
var current = PolicySnapshot.Build("demo", TenantState.Empty.Apply(TenantFile.Read(seed.RootElement, problems)), 1, TimeProvider.System);
using var forbid = JsonDocument.Parse("""{"id":"no-hr-policies","effect":"forbid","agents":{"any":true},"actions":["tools/call"],"resources":{"ids":["hr-policies"]}}""");
SourceChange[] candidate =
[
    new(SourceKinds.Policy, "no-hr-policies", forbid.RootElement),
    new(SourceKinds.Policy, "hr-may-use-hr-assistant", null),
];

Console.WriteLine("records    | seconds | records/s | flipped   | heap after page: max MB | allocated MB");
foreach (var count in counts)
{
    var log = new GeneratedLog(count, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    var query = new DecisionLogQuery { From = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), To = log.End.AddSeconds(1) };
    GC.Collect();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    long maxHeap = 0;
    var progress = new SyncProgress(_ => maxHeap = Math.Max(maxHeap, GC.GetTotalMemory(forceFullCollection: false)));
    var watch = Stopwatch.StartNew();
    var report = await new PolicyReplay(log).RunAsync("demo", current, candidate, query, ReplayLimits.Default, progress, CancellationToken.None);
    watch.Stop();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{report.Read,10} | {watch.Elapsed.TotalSeconds,7:F1} | {report.Read / watch.Elapsed.TotalSeconds,9:F0} | {report.Flipped,9} | {maxHeap / 1048576.0,23:F1} | {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0,12:F0}"));
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            return dir.FullName;
    }
    throw new InvalidOperationException("the repository root (Serverless.sln) is not above the bench binaries");
}

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and sample later).</summary>
internal sealed class SyncProgress(Action<int> report) : IProgress<int>
{
    public void Report(int value) => report(value);
}
