using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Snapshots;
using Arbiter.Scenario;

namespace Arbiter.Benchmarks;

/// <summary>
/// Tenant size (issue 22): the snapshot built from a scenario's documents (time, managed memory, peak resident
/// memory), decisions/s on one thread against the reference answers, and what one directory change costs to apply to
/// a built snapshot — a user document (enabled flipped) and a membership change (a user added to a group, then
/// removed) — so the same mode run on the 20k and the 1 M tenant shows whether a change costs the change or the tenant.
/// </summary>
internal static class ScaleBenchmark
{

    public static int Run(string scenarioPath, int changes)
    {
        Machine.Print();
        var load = Stopwatch.StartNew();
        var scenario = ScenarioFile.Load(scenarioPath);
        Console.WriteLine($"scenario: {scenario.Changes.Count:N0} documents ({scenario.PolicyCount:N0} policies), {scenario.Requests.Count:N0} requests, read in {load.ElapsedMilliseconds} ms");

        // The large object heap too: the build's large temporaries (a million-entry list) would otherwise stay as free space.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var heapBefore = HeapText();
        var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var buildCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var build = Stopwatch.StartNew();
        var state = TenantState.Empty.Apply(scenario.Changes);
        var parsed = build.Elapsed;
        var snapshot = PolicySnapshot.Build("bench", state, 1, TimeProvider.System);
        build.Stop();
        buildCpu = Process.GetCurrentProcess().TotalProcessorTime - buildCpu;
        var buildGcs = $"GC during the build: {GC.CollectionCount(0) - gcs.Item1} gen0, {GC.CollectionCount(1) - gcs.Item2} gen1, {GC.CollectionCount(2) - gcs.Item3} gen2, paused {(GC.GetTotalPauseDuration() - gcs.Item4).TotalSeconds:F2} s";
        // The large object heap too: the build's large temporaries (a million-entry list) would otherwise stay as free space.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var memoryMb = (after - before) / 1024.0 / 1024.0;
        var peakMb = PeakResidentMegabytes();
        Console.WriteLine($"snapshot build: {build.Elapsed.TotalSeconds:F2} s from documents (parse {parsed.TotalSeconds:F2} s, compile {(build.Elapsed - parsed).TotalSeconds:F2} s; {buildCpu.TotalSeconds:F2} s of process CPU), version {snapshot.VersionText}, "
            + $"managed memory {memoryMb:F0} MB, peak resident {peakMb:F0} MB (with the scenario's documents); {buildGcs}");
        // The heap by generation before and after, from the last (compacting) collection: what the managed figure is made of.
        Console.WriteLine($"heap before the build: {heapBefore}; after: {HeapText()}");

        var requests = scenario.Requests.Select(r => r.Request).ToArray();
        var mismatches = scenario.Requests.Count(r => snapshot.Evaluate(r.Request).Allowed != r.Expected);
        Console.WriteLine($"correctness: {mismatches} mismatches out of {requests.Length:N0}");
        if (mismatches != 0)
            return 1;

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var collections = GC.CollectionCount(0);
        var paused = GC.GetTotalPauseDuration();
        var all = Throughput(snapshot, requests);
        Console.WriteLine($"single thread: {all.Wall:N0} decisions/s wall clock, {all.PerCpu:N0} per CPU-second "
            + $"({(GC.GetAllocatedBytesForCurrentThread() - allocated) / all.Decisions:F0} bytes allocated per decision, {GC.CollectionCount(0) - collections} gen0 collections, "
            + $"paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms); per CPU-second, {all.Rounds}");
        // Where the time goes: the same tenant, principal-context requests of one user in 50 only (a working set of a
        // 20k-user tenant's users) against all principal-context requests — the difference is the cost of a large user table.
        var delegated = requests.Where(r => r.AgentId is not null).ToArray();
        var fewUsers = delegated.Where(r => (uint)StringComparer.Ordinal.GetHashCode(r.Subject.Id) % 50 == 0).ToArray();
        var delegatedRate = Throughput(snapshot, delegated);
        var fewUsersRate = Throughput(snapshot, fewUsers);
        Console.WriteLine($"principal context, per CPU-second: all users {delegatedRate.PerCpu:N0} ({delegatedRate.Rounds}), "
            + $"one user in 50 ({fewUsers.Select(r => r.Subject.Id).Distinct().Count():N0} users) {fewUsersRate.PerCpu:N0} ({fewUsersRate.Rounds})");

        // One user document changed: enabled flipped, then flipped back (each a new snapshot from the previous one).
        var userChange = scenario.Changes.First(c => c.Kind == SourceKinds.User);
        var userOff = WithBody(userChange, body => body["enabled"] = false);
        var userTimes = TimeChanges(ref snapshot, changes, i => i % 2 == 0 ? userOff : userChange);
        Console.WriteLine($"one user change: p50 {userTimes.At(0.5):F3} ms, max {userTimes.Max:F3} ms over {userTimes.Count} changes");

        // One membership change: a user who is not a member is added to a group, then removed again.
        var groupChange = scenario.Changes.First(c => c.Kind == SourceKinds.Group && c.Body!.Value.GetProperty("memberUsers").GetArrayLength() > 0);
        var members = groupChange.Body!.Value.GetProperty("memberUsers").EnumerateArray().Select(m => m.GetString()).ToHashSet(StringComparer.Ordinal);
        var newcomer = scenario.Changes.First(c => c.Kind == SourceKinds.User && !members.Contains(c.Id)).Id;
        var joined = WithBody(groupChange, body => body["memberUsers"]!.AsArray().Add(newcomer));
        var groupTimes = TimeChanges(ref snapshot, changes, i => i % 2 == 0 ? joined : groupChange);
        Console.WriteLine($"one membership change: p50 {groupTimes.At(0.5):F3} ms, max {groupTimes.Max:F3} ms over {groupTimes.Count} changes");

        // After the changes (an even number, so the documents are the originals again) the answers are unchanged.
        mismatches = scenario.Requests.Count(r => snapshot.Evaluate(r.Request).Allowed != r.Expected);
        Console.WriteLine($"correctness after the changes: {mismatches} mismatches; load now {Machine.Load()}");

        // The snapshot's own size, measured back to back: the heap with it, then without it. (The before/after growth
        // above should read the same: loading the scenario leaves no buffers in the shared array pool to be trimmed in between.)
        var withSnapshot = LiveHeap();
        var withText = HeapText();
        GC.KeepAlive(snapshot);
        snapshot = null!;
        state = null!;
        var without = LiveHeap();
        Console.WriteLine($"snapshot memory, heap with it minus without it: {(withSnapshot - without) / 1048576.0:F0} MB (with {withSnapshot / 1048576.0:F0} MB, without {without / 1048576.0:F0} MB)");
        Console.WriteLine($"heap with the snapshot: {withText}; without: {HeapText()}");
        return mismatches == 0 ? 0 : 1;
    }

    private static long LiveHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }

    private static Percentiles TimeChanges(ref PolicySnapshot snapshot, int count, Func<int, SourceChange> change)
    {
        var samples = new List<double>(count);
        var rounded = count + count % 2;
        for (var i = 0; i < rounded; i++)
        {
            var next = change(i);
            var t0 = Stopwatch.GetTimestamp();
            snapshot = snapshot.Apply([next], snapshot.Generation + 1);
            samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return new Percentiles(samples);
    }

    /// <summary>
    /// Decisions/s after two warm-up passes: ten rounds of at least 100,000 decisions each, timed one by one, so a round
    /// another process slowed shows as one low round instead of lowering the whole figure. PerCpu is over all rounds;
    /// Best and Median are the rounds' per-CPU-second figures; Decisions counts the warm-up passes too.
    /// </summary>
    private static Rate Throughput(PolicySnapshot snapshot, Arbiter.Engine.Decisions.DecisionRequest[] requests)
    {
        for (var i = 0; i < 2; i++)
            foreach (var r in requests) snapshot.Evaluate(r);
        const int Rounds = 10;
        var passes = Math.Max(1, 100_000 / Math.Max(1, requests.Length));
        var perRound = (double)passes * requests.Length;
        var rounds = new List<double>(Rounds);
        using var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var (collections, paused) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        var sw = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            for (var p = 0; p < passes; p++)
                foreach (var r in requests) snapshot.Evaluate(r);
            process.Refresh();
            rounds.Add(perRound / (process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
        sw.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuStart;
        var n = perRound * Rounds;
        rounds.Sort();
        var gc = $"{GC.CollectionCount(0) - collections} gen0 collections paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms";
        return new Rate(n / sw.Elapsed.TotalSeconds, n / cpu.TotalSeconds, rounds[^1], (rounds[Rounds / 2 - 1] + rounds[Rounds / 2]) / 2, n + 2.0 * requests.Length, gc);
    }

    private readonly record struct Rate(double Wall, double PerCpu, double Best, double Median, double Decisions, string Collections)
    {
        public string Rounds => $"rounds: median {Median:N0}, best {Best:N0}; {Collections}";
    }

    private static SourceChange WithBody(SourceChange change, Action<JsonObject> edit)
    {
        var body = JsonNode.Parse(change.Body!.Value.GetRawText())!.AsObject();
        edit(body);
        return change with { Body = JsonSerializer.SerializeToElement(body) };
    }

    private static string HeapText()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var names = new[] { "gen0", "gen1", "gen2", "large", "pinned" };
        var generations = info.GenerationInfo.ToArray().Select((g, i) => $"{names[i]} {g.SizeAfterBytes / 1048576.0:F0}");
        return $"{info.HeapSizeBytes / 1048576.0:F0} MB ({string.Join(", ", generations)}; fragmented {info.FragmentedBytes / 1048576.0:F0})";
    }

    private static double PeakResidentMegabytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return double.NaN;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
