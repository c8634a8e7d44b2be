using System.Diagnostics;
using System.Globalization;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbiter.Checkpoints.Bench;

/// <summary>
/// One cold start in this (fresh) process: open the store, load the tenant (every document, or the checkpoint and its
/// tail), answer the probe. Prints one <c>RESULT</c> line the parent reads.
/// </summary>
internal static class Measure
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var clock = Stopwatch.StartNew();
        await using var stores = await BenchStores.OpenAsync(args);
        var opened = clock.Elapsed;
        var reads = new CountingStore(stores.Store, stores.Feed);
        var fromCheckpoint = args.Load == "checkpoint";
        var options = BenchStores.Options(args, fromCheckpoint);
        var blobs = new CountingCheckpointStore(new BlobCheckpointStore(new BlobServiceClient(args.Storage), options));
        var snapshots = new TenantSnapshots(reads, reads, options, TimeProvider.System, NullLogger<TenantSnapshots>.Instance,
            fromCheckpoint ? BenchStores.Checkpoints(args, options, blobs) : null);
        var probe = Probe.Decode(args.Probe!);
        var lease = await snapshots.GetAsync(args.Tenant, CancellationToken.None);
        var answer = lease.Snapshot?.IsPermitted(probe.Request);
        clock.Stop();
        var sinceProcessStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        var status = snapshots.Status().Single();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(snapshots);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT\t{args.Load}\t{clock.Elapsed.TotalMilliseconds:F1}\t{(clock.Elapsed - opened).TotalMilliseconds:F1}\t{sinceProcessStart.TotalMilliseconds:F1}\t{reads.Requests}\t{reads.Documents}\t{blobs.Requests}\t{blobs.BytesRead}\t{heap / 1048576.0:F1}\t{status.LoadedFrom}\t{status.Version}\t{answer == probe.Expected}\t{status.CheckpointFallback ?? lease.Failure ?? ""}\t{TimeSpan.FromTicks(reads.Ticks).TotalMilliseconds:F1}\t{TimeSpan.FromTicks(blobs.Ticks).TotalMilliseconds:F1}"));
        return answer == probe.Expected ? 0 : 1;
    }
}

/// <summary>One child's figures.</summary>
internal sealed record Result(string Load, double TotalMs, double LoadMs, double SinceProcessStartMs, int Requests, int Documents, int CheckpointRequests, long CheckpointBytes, double HeapMb, string LoadedFrom, string Version, bool Correct, string Note, double StoreMs, double CheckpointMs)
{
    public static Result Parse(string line)
    {
        var f = line.Split('\t');
        var c = CultureInfo.InvariantCulture;
        return new Result(f[1], double.Parse(f[2], c), double.Parse(f[3], c), double.Parse(f[4], c), int.Parse(f[5], c), int.Parse(f[6], c), int.Parse(f[7], c),
            long.Parse(f[8], c), double.Parse(f[9], c), f[10], f[11], f[12] == "True", f[13], double.Parse(f[14], c), double.Parse(f[15], c));
    }
}
