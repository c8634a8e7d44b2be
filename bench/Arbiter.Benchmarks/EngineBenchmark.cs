using System.Diagnostics;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Scenario;

namespace Arbiter.Benchmarks;

/// <summary>
/// Decision engine on the shared scenario: correctness first (every decision against the reference), then
/// decisions/s on one core and on all cores, latency percentiles, snapshot build time and memory.
/// </summary>
internal static class EngineBenchmark
{
    public static int Run(string scenarioPath)
    {
        Machine.Print();
        var load = Stopwatch.StartNew();
        var scenario = ScenarioFile.Load(scenarioPath);
        Console.WriteLine($"scenario: {scenario.Changes.Count:N0} documents ({scenario.PolicyCount:N0} policies), {scenario.Requests.Count:N0} requests, read in {load.ElapsedMilliseconds} ms");

        // Snapshot build: parse every document and compile; memory is what the snapshot keeps alive.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        var snapshot = PolicySnapshot.Build("bench", TenantState.Empty.Apply(scenario.Changes), 1, TimeProvider.System);
        build.Stop();
        var compileOnly = Stopwatch.StartNew();
        _ = PolicySnapshot.Build("bench", snapshot.State, 2, TimeProvider.System);
        compileOnly.Stop();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(snapshot);
        Console.WriteLine($"snapshot build: {build.ElapsedMilliseconds} ms from documents (compile only {compileOnly.ElapsedMilliseconds} ms), memory {(after - before) / 1024.0 / 1024.0:F1} MB");

        var requests = scenario.Requests.Select(r => r.Request).ToArray();
        var mismatches = scenario.Requests.Count(r => snapshot.Evaluate(r.Request).Allowed != r.Expected);
        Console.WriteLine($"correctness: {mismatches} mismatches out of {requests.Length:N0}");
        if (mismatches != 0)
            return 1;

        // Warm up, then single-threaded throughput over several passes.
        for (var i = 0; i < 3; i++)
            foreach (var r in requests) snapshot.Evaluate(r);
        const int passes = 30;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var permits = 0;
        for (var p = 0; p < passes; p++)
            foreach (var r in requests)
                if (snapshot.Evaluate(r).Allowed) permits++;
        sw.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var bytesPerDecision = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)(passes * requests.Length);
        var single = passes * requests.Length / sw.Elapsed.TotalSeconds;
        // On a shared machine the thread is not on a core all the time; the process's CPU time (this thread plus the GC)
        // says what one core that is ours alone would do.
        var perCpuSecond = passes * requests.Length / cpu.TotalSeconds;
        Console.WriteLine($"single thread: {single:N0} decisions/s wall clock, {perCpuSecond:N0} per CPU-second ({permits / passes:N0} permits per pass), {bytesPerDecision:F0} bytes allocated per decision");

        // What the decision log pays on top: the explanation read as the log reads it (the id, the matched policies, the
        // reason, the obligations and the shadow result of every decision; not the legs, which only an explained answer
        // shows). Ten passes, per CPU-second, the median pass.
        var chars = 0L;
        var explainedRates = new double[10];
        for (var p = 0; p < explainedRates.Length; p++)
        {
            var explainedCpu = Process.GetCurrentProcess().TotalProcessorTime;
            // Three walks over the requests a pass: the process's CPU time is counted in ticks of 10 ms.
            for (var walk = 0; walk < 3; walk++)
            {
                foreach (var r in requests)
                {
                    var d = snapshot.Evaluate(r);
                    chars += d.DecisionId.Length + d.ReasonAdmin.Length + d.MatchedPolicies.Count + d.Obligations.Count + (d.Shadow is null ? 0 : 1);
                }
            }
            explainedRates[p] = 3 * requests.Length / (Process.GetCurrentProcess().TotalProcessorTime - explainedCpu).TotalSeconds;
        }
        Array.Sort(explainedRates);
        Console.WriteLine($"with the explanation read as the log reads it: {explainedRates[explainedRates.Length / 2]:N0} decisions per CPU-second, median of {explainedRates.Length} passes (best {explainedRates[^1]:N0}; {chars / (3L * requests.Length * explainedRates.Length)} chars of id and reason on average)");

        // Latency: each decision timed on its own.
        var samples = new double[requests.Length * 3];
        var k = 0;
        for (var p = 0; p < 3; p++)
        {
            foreach (var r in requests)
            {
                var t0 = Stopwatch.GetTimestamp();
                snapshot.Evaluate(r);
                samples[k++] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
        }
        Array.Sort(samples);
        double P(double q) => samples[(int)Math.Min(samples.Length - 1, q * samples.Length)];
        Console.WriteLine($"latency: p50 {P(0.50):F2} us, p99 {P(0.99):F2} us, p99.9 {P(0.999):F2} us, max {samples[^1]:F1} us");
        var memoryMb = (after - before) / 1024.0 / 1024.0;
        Console.WriteLine($"targets: p99 <= 5 us {Met(P(0.99) <= 5)}; >= 1,000,000 decisions/s on one core {Met(Math.Max(single, perCpuSecond) >= 1_000_000)}; snapshot build <= 1 s {Met(build.Elapsed.TotalSeconds <= 1)}; memory <= 150 MB {Met(memoryMb <= 150)}");

        // All cores: each thread walks the request list from a different offset.
        var threads = Environment.ProcessorCount;
        var total = 0L;
        var all = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var n = 0L;
            for (var p = 0; p < passes; p++)
                for (var i = 0; i < requests.Length; i++)
                {
                    snapshot.Evaluate(requests[(i + t * 7919) % requests.Length]);
                    n++;
                }
            Interlocked.Add(ref total, n);
        });
        all.Stop();
        Console.WriteLine($"all cores ({threads} threads): {total / all.Elapsed.TotalSeconds:N0} decisions/s; load now {Machine.Load()}");

        // What a policy condition costs when it is reached (the scenario has none).
        ConditionBenchmark.Run();
        OpenWorldBenchmark.Run();
        return 0;
    }

    private static string Met(bool met) => met ? "met" : "NOT met";
}
