using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots;

/// <summary>Loads the configured tenants at start, then reads the change feed of every known tenant on an interval.</summary>
public sealed class SnapshotRefresher(TenantSnapshots snapshots, IOptions<SnapshotOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var tenant in options.Value.TenantList)
            snapshots.Track(tenant);
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            await snapshots.RefreshAllAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
