using System.Diagnostics;
using System.Globalization;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Azure.Storage.Blobs;

namespace Arbiter.Checkpoints.Bench;

/// <summary>
/// Where a fresh process's checkpoint load goes, step by step and one step at a time (the load itself overlaps some of
/// them): runtime start to Main, opening the store, the first blob read (Blob SDK first use), verifying and decompressing,
/// parsing the bodies, applying them to facts and policies, compiling the snapshot, the change-feed tail, the probe.
/// Prints one <c>STEPS</c> line of name=milliseconds.
/// </summary>
internal static class Breakdown
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var steps = new List<(string Name, double Ms)> { ("runtime", (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds) };
        var clock = Stopwatch.StartNew();
        void Step(string name)
        {
            steps.Add((name, clock.Elapsed.TotalMilliseconds));
            clock.Restart();
        }
        await using var stores = await BenchStores.OpenAsync(args);
        _ = await stores.Store.ListAsync(args.Tenant, SourceKinds.Agent, null, 1, false, CancellationToken.None);
        Step("store-open+probe");
        var options = BenchStores.Options(args, checkpoints: true);
        var blob = await new BlobCheckpointStore(new BlobServiceClient(args.Storage), options).ReadAsync(args.Tenant, options.Value.Checkpoint.MaxBytes, CancellationToken.None);
        Step("blob-read");
        var checkpoint = CheckpointFormat.Read(blob!.Content, options.Value.Checkpoint.MaxBytes, out var problem) ?? throw new InvalidOperationException(problem);
        Step("verify+decompress+cut");
        var parsed = checkpoint.Documents.Values.Select(d => new SourceChange(d.Kind, d.Id, d.Parse())).ToList();
        Step("parse-bodies");
        var state = TenantState.Empty.Apply(parsed);
        Step("apply-facts");
        var snapshot = PolicySnapshot.Build(args.Tenant, state, 1, TimeProvider.System);
        Step("compile");
        var cursor = checkpoint.Cursor;
        var tail = new List<SourceChange>();
        while (true)
        {
            var batch = await stores.Feed.ReadAsync(args.Tenant, cursor, 1000, CancellationToken.None);
            cursor = batch.Cursor;
            if (batch.Changes.Count == 0)
                break;
            tail.AddRange(batch.Changes.Select(c => new SourceChange(c.Kind, c.Id, c.Deleted ? null : c.Body)));
        }
        Step("tail-read");
        snapshot = snapshot.Apply(tail, 2);
        Step("tail-apply");
        var probe = Probe.Decode(args.Probe!);
        var answer = snapshot.IsPermitted(probe.Request);
        Step("decision");
        Console.WriteLine("STEPS\t" + string.Join('\t', steps.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name}={s.Ms:F0}"))) + "\t" + (answer == probe.Expected ? "correct" : "WRONG"));
        return answer == probe.Expected ? 0 : 1;
    }
}
