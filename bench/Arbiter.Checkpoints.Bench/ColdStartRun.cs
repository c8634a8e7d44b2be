using System.Diagnostics;
using System.Globalization;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Arbiter.Scenario;
using Arbiter.Store;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbiter.Checkpoints.Bench;

/// <summary>
/// Seeds the store with the benchmark tenant, writes its checkpoint, changes <c>--tail</c> documents after it, checks
/// that a checkpoint load equals a full read (version and all scenario decisions), then measures cold starts in fresh
/// processes, full read and checkpoint alternating pair by pair; optionally the real server, old build beside new.
/// </summary>
internal static class ColdStartRun
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        PrintMachine();
        var scenarioPath = args.Scenario ?? ScenarioFile.Default();
        var scenario = ScenarioFile.Load(scenarioPath);
        var work = args.Keep ?? Path.Combine(Path.GetTempPath(), "arbiter-ckpt-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        args.SqlitePath = Path.Combine(work, "store.db");
        args.CosmosDatabase = "arbiter-ckpt-bench-" + Guid.NewGuid().ToString("N")[..8];
        args.Container = "bench-ckpt-" + Guid.NewGuid().ToString("N")[..12];
        args.Probe = Probe.From(scenario.Requests[0]).Encode();
        Console.WriteLine($"scenario: {scenario.Changes.Count:N0} documents, store {args.Store}, tail {args.Tail} changes, {args.Rounds} rounds");
        var container = new BlobServiceClient(args.Storage).GetBlobContainerClient(args.Container);
        try
        {
            await using (var stores = await BenchStores.OpenAsync(args))
            {
                var seeding = Stopwatch.StartNew();
                foreach (var chunk in scenario.Changes.Select(c => DocumentWrite.Put(c.Kind, c.Id, c.Body!.Value, "*")).Chunk(100))
                {
                    foreach (var r in await stores.Store.WriteManyAsync(args.Tenant, chunk))
                    {
                        if (!r.Succeeded)
                            throw new InvalidOperationException("seeding failed: " + r.Message);
                    }
                }
                Console.WriteLine($"seeded in {seeding.Elapsed.TotalSeconds:F1} s");
                if (!await PrepareAsync(args, stores, scenario))
                    return 1;
            }
            if (args.Keep is not null)
                Console.WriteLine("kept; one cold start: " + string.Join(' ', args.ForChild("checkpoint").Select(a => a.Length == 0 || a.Contains(' ', StringComparison.Ordinal) || a.Contains('|', StringComparison.Ordinal) ? "'" + a + "'" : a)));

            var results = new List<Result>();
            for (var round = 0; round < args.Rounds; round++)
            {
                string[] order = round % 2 == 0 ? ["full", "checkpoint"] : ["checkpoint", "full"];
                foreach (var load in order)
                {
                    var result = await ChildAsync(args, load);
                    Console.WriteLine($"  round {round + 1} {load,-10}: first decision {result.SinceProcessStartMs,7:F0} ms after process start (load {result.LoadMs,6:F0} ms, in store reads {result.StoreMs:F0} ms, checkpoint read {result.CheckpointMs:F0} ms), " +
                        $"{result.Requests} store requests, {result.Documents:N0} documents, {result.CheckpointRequests} checkpoint requests ({result.CheckpointBytes:N0} bytes), heap {result.HeapMb:F0} MB, from {result.LoadedFrom}{(result.Correct ? "" : " WRONG ANSWER")} {result.Note}");
                    results.Add(result);
                    if (!result.Correct || result.LoadedFrom != (load == "full" ? TenantSnapshots.FromStore : TenantSnapshots.FromCheckpoint))
                        return 1;
                }
            }
            if (results.Count > 0)
                Summarize(results);
            if (args.OldServer is not null && args.NewServer is not null)
                await ServerColdStart.RunAsync(args, work);
            Console.WriteLine($"load at end: {Load()}");
            return 0;
        }
        finally
        {
            if (args.Keep is null)
                await CleanUpAsync(container, work);
        }
    }

    private static async Task CleanUpAsync(Azure.Storage.Blobs.BlobContainerClient container, string work)
    {
        // The local Cosmos server keeps its databases in memory only: nothing to drop there.
        await container.DeleteIfExistsAsync();
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>Writes the checkpoint, changes the tail, and checks a checkpoint load against a full read.</summary>
    private static async Task<bool> PrepareAsync(BenchArgs args, BenchStores stores, ScenarioFile scenario)
    {
        var options = BenchStores.Options(args, checkpoints: true);
        var writer = new TenantSnapshots(stores.Store, stores.Feed, options, TimeProvider.System, NullLogger<TenantSnapshots>.Instance, BenchStores.Checkpoints(args, options));
        var loaded = Stopwatch.StartNew();
        await writer.RefreshAsync(args.Tenant, CancellationToken.None);
        loaded.Stop();
        var write = Stopwatch.StartNew();
        await writer.WriteCheckpointsAsync(CancellationToken.None);
        write.Stop();
        var head = await new BlobServiceClient(args.Storage).GetBlobContainerClient(args.Container)
            .GetBlobClient("tenants/" + Uri.EscapeDataString(args.Tenant) + "/snapshot.ckpt").GetPropertiesAsync();
        var status = writer.Status().Single();
        Console.WriteLine($"writer: full read in {loaded.ElapsedMilliseconds} ms; checkpoint written in {write.ElapsedMilliseconds} ms, {head.Value.ContentLength:N0} bytes{(status.CheckpointError is { } e ? ", error " + e : "")}");
        if (status.CheckpointError is not null)
            return false;

        // Where a checkpoint load's time goes (warm: this process already loaded the tenant once).
        var blob = await new BlobCheckpointStore(new BlobServiceClient(args.Storage), options).ReadAsync(args.Tenant, options.Value.Checkpoint.MaxBytes, CancellationToken.None);
        var step = Stopwatch.StartNew();
        var read = CheckpointFormat.Read(blob!.Content, options.Value.Checkpoint.MaxBytes, out _)!;
        var readMs = step.Elapsed.TotalMilliseconds;
        step.Restart();
        var state = TenantState.Empty.Apply(read.Documents.Values.Select(d => new SourceChange(d.Kind, d.Id, d.Parse())));
        var applyMs = step.Elapsed.TotalMilliseconds;
        step.Restart();
        _ = PolicySnapshot.Build(args.Tenant, state, 1, TimeProvider.System);
        Console.WriteLine($"checkpoint load, warm: verify + decompress + cut {readMs:F0} ms, parse documents into facts and policies {applyMs:F0} ms, compile the snapshot {step.Elapsed.TotalMilliseconds:F0} ms");

        // The tail: documents rewritten after the checkpoint (same bodies, so the reference decisions still hold).
        foreach (var change in scenario.Changes.Where(c => c.Kind == SourceKinds.User).Take(args.Tail))
            await stores.Store.PutAsync(args.Tenant, change.Kind, change.Id, change.Body!.Value, "*");

        var full = new TenantSnapshots(stores.Store, stores.Feed, BenchStores.Options(args, false), TimeProvider.System, NullLogger<TenantSnapshots>.Instance);
        var fromCheckpoint = new TenantSnapshots(stores.Store, stores.Feed, options, TimeProvider.System, NullLogger<TenantSnapshots>.Instance, BenchStores.Checkpoints(args, options));
        var a = (await full.GetAsync(args.Tenant, CancellationToken.None)).Snapshot!;
        var b = (await fromCheckpoint.GetAsync(args.Tenant, CancellationToken.None)).Snapshot!;
        var mismatches = scenario.Requests.Count(r => a.IsPermitted(r.Request) != r.Expected || b.IsPermitted(r.Request) != r.Expected);
        Console.WriteLine($"equality: full read version {a.VersionText}, checkpoint + tail version {b.VersionText} (loaded from {fromCheckpoint.Status().Single().LoadedFrom}); {mismatches} mismatches over {scenario.Requests.Count:N0} requests");
        return a.Version == b.Version && mismatches == 0;
    }

    private static async Task<Result> ChildAsync(BenchArgs args, string load)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(ColdStartRun).Assembly.Location);
        foreach (var a in args.ForChild(load))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("RESULT\t", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the {load} child printed no result (exit {process.ExitCode}): {await output} {await error}");
        return Result.Parse(line.TrimEnd('\r'));
    }

    private static void Summarize(List<Result> results)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var full = results.Where(r => r.Load == "full").ToList();
        var checkpoint = results.Where(r => r.Load == "checkpoint").ToList();
        double F(List<Result> rs, Func<Result, double> f) => Median(rs.Select(f));
        Console.WriteLine("medians                         full read   checkpoint   ratio");
        Row("first decision after start, ms", F(full, r => r.SinceProcessStartMs), F(checkpoint, r => r.SinceProcessStartMs));
        Row("tenant load to decision, ms", F(full, r => r.LoadMs), F(checkpoint, r => r.LoadMs));
        Row("  of which store reads, ms", F(full, r => r.StoreMs), F(checkpoint, r => r.StoreMs));
        Row("  of which checkpoint read, ms", F(full, r => r.CheckpointMs), F(checkpoint, r => r.CheckpointMs));
        Row("store requests", F(full, r => r.Requests), F(checkpoint, r => r.Requests + r.CheckpointRequests));
        Row("store documents read", F(full, r => r.Documents), F(checkpoint, r => r.Documents));
        Row("heap after load, MB", F(full, r => r.HeapMb), F(checkpoint, r => r.HeapMb));

        static void Row(string name, double a, double b) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-30} {a,10:F0} {b,12:F0} {(a == 0 ? 0 : b / a),9:F4}"));
    }

    public static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void PrintMachine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {cpu}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"load at start: {Load()}");
    }
}
