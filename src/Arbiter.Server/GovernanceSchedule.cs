using System.Text.Json;
using Arbiter.Engine.Json;
using Arbiter.Governance.Drift;
using Arbiter.Runtime.Policies;
using Arbiter.Runtime.Snapshots;
using Arbiter.Store;
using Microsoft.Extensions.Options;

namespace Arbiter.Server;

/// <summary>
/// <c>Governance:Schedule</c> on the self-hosted server: how often drift detection reads the change feed (the Functions
/// app has its own timers). Off by default, so a server only checks drift when asked; <c>infra/run.sh</c> turns it on.
/// </summary>
public sealed class GovernanceScheduleOptions
{
    public const string Section = "Governance:Schedule";

    /// <summary>Seconds between drift runs per tenant of <c>Snapshot:Tenants</c>; 0 = off (drift runs only on request).</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public int DriftSeconds { get; set; }
}

/// <summary>
/// The server's drift timer: a run at start, then one every <see cref="GovernanceScheduleOptions.DriftSeconds"/>. At the
/// first run of a seeded tenant it also plays the seed's governance part (<see cref="SeedGovernance"/>): the agents are
/// certified as seeded, then the seed's "later changes" are written through the policy history like an admin's edit,
/// so the next run finds the drift and opens its reviews. One tenant's failure is logged; the timer goes on.
/// </summary>
public sealed partial class GovernanceSchedule(
    DriftDetector detector,
    PolicyVersions versions,
    IDocumentStore store,
    IOptions<GovernanceScheduleOptions> schedule,
    IOptions<SnapshotOptions> snapshots,
    IOptions<SeedOptions> seed,
    TimeProvider time,
    ILogger<GovernanceSchedule> logger) : BackgroundService
{
    private const string SeedMarkerId = "seed:governance";

    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first round over every tenant has ended (at once when the schedule is off): the event tests and tools wait for.</summary>
    public Task FirstRound => _firstRound.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            _firstRound.TrySetResult();
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var seconds = schedule.Value.DriftSeconds;
        if (seconds <= 0)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        do
        {
            foreach (var tenant in snapshots.Value.TenantList)
            {
                try
                {
                    await detector.RunAsync(tenant, stoppingToken);
                    if (await PlaySeedAsync(tenant, stoppingToken))
                        await detector.RunAsync(tenant, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, tenant, e);
                }
            }
            _firstRound.TrySetResult();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Writes the seed's post-certification policies once per tenant; true when it wrote any.</summary>
    private async Task<bool> PlaySeedAsync(string tenant, CancellationToken cancellationToken)
    {
        var options = seed.Value;
        if (string.IsNullOrWhiteSpace(options.File) || options.Tenant != tenant)
            return false;
        if (await store.GetAsync(tenant, DocumentKinds.SyncState, SeedMarkerId, cancellationToken: cancellationToken) is not null)
            return false;
        using var document = StrictJson.Parse(await File.ReadAllBytesAsync(options.File, cancellationToken));
        var policies = SeedGovernance.ChangesAfterCertification(document.RootElement);
        foreach (var (id, body) in policies)
        {
            // Create-only: a policy an admin already wrote under that id is theirs; the seed never overwrites it.
            if (await store.GetAsync(tenant, DocumentKinds.Policy, id, cancellationToken: cancellationToken) is null)
                await versions.SaveAsync(tenant, id, body, null, "create (demo seed: a change after the agents were certified)", "seed", cancellationToken);
        }
        await store.PutAsync(tenant, DocumentKinds.SyncState, SeedMarkerId,
            JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["policies"] = policies.Count }), "*", cancellationToken);
        LogSeedPlayed(logger, tenant, policies.Count);
        return policies.Count > 0;
    }

    [LoggerMessage(EventId = 4410, Level = LogLevel.Information, Message = "Demo seed: tenant {Tenant}'s agents were certified as seeded, then {Count} later policy change(s) were written; drift detection reviews them next")]
    private static partial void LogSeedPlayed(ILogger logger, string tenant, int count);

    [LoggerMessage(EventId = 4411, Level = LogLevel.Error, Message = "Scheduled drift detection failed for tenant {Tenant}")]
    private static partial void LogFailed(ILogger logger, string tenant, Exception exception);
}
