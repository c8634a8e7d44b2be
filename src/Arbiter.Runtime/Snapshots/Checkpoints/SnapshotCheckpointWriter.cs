using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// Every <see cref="CheckpointOptions.Interval"/>, writes the checkpoint of each tenant this instance holds whose snapshot
/// changed since the stored checkpoint. Every instance runs it; the stored checkpoint's age and ETag make one of them
/// write per interval. Its own timer, so a write (serializing and compressing the tenant) never delays the refresher.
/// </summary>
public sealed class SnapshotCheckpointWriter(TenantSnapshots snapshots, IOptions<SnapshotOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Checkpoint.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await snapshots.WriteCheckpointsAsync(stoppingToken);
    }
}
