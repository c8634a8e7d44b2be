using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Keeps a tenant's directory documents (users, groups, agents) in step with Entra ID through Microsoft Graph: runs
/// <see cref="DeltaSync"/> (users, groups) and <see cref="AgentIdentitySync"/> one resource after another, each Graph
/// call through <see cref="GraphRetry"/>, and records each run in a <c>syncStatus</c> document <c>graph</c>.
/// Concurrency: runs of one tenant never overlap within this process (a second call returns
/// <see cref="SyncOutcome.AlreadyRunning"/>); across instances the Functions timer's singleton lock covers the schedule,
/// and ETag read-modify-writes keep even an overlapping run-now call from corrupting documents.
/// </summary>
public sealed class EntraSyncService
{
    /// <summary>Ids of the documents this service keeps in the governance kinds.</summary>
    public const string UsersStateId = "graph:users";
    public const string GroupsStateId = "graph:groups";
    public const string StatusId = "graph";
    public const string Source = "entra";

    private readonly IDocumentStore _store;
    private readonly DocumentWriter _writer;
    private readonly GraphClientRegistry _clients;
    private readonly GraphOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EntraSyncService> _logger;
    private readonly DeltaSync _delta;
    private readonly AgentIdentitySync _agents;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _tenantLocks = new(StringComparer.Ordinal);

    public EntraSyncService(IDocumentStore store, GraphClientRegistry clients, IOptions<GraphOptions> options, TimeProvider time, ILogger<EntraSyncService> logger)
    {
        _store = store;
        _writer = new DocumentWriter(store);
        _clients = clients;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var retry = new GraphRetry(_options, time, logger);
        _delta = new DeltaSync(_writer, retry, _options, time, logger);
        _agents = new AgentIdentitySync(_writer, retry, _options, logger);
    }

    /// <summary>The tenants listed under <c>Graph:Tenants</c>.</summary>
    public IReadOnlyCollection<string> ConfiguredTenants => _options.Tenants.Keys;

    /// <summary>Syncs every configured tenant (<c>Graph:Tenants</c>); the timer function calls this.</summary>
    public Task<IReadOnlyList<SyncResult>> SyncConfiguredTenantsAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default) =>
        SyncAllAsync(_options.Tenants.Keys, progress, cancellationToken);

    /// <summary>Syncs tenants one after another; one tenant's failure is recorded in its result and does not stop the others.</summary>
    public async Task<IReadOnlyList<SyncResult>> SyncAllAsync(IEnumerable<string> tenantIds, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new List<SyncResult>();
        foreach (var tenantId in tenantIds.Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(await SyncTenantAsync(tenantId, progress, cancellationToken));
        }

        return results;
    }

    /// <summary>
    /// Syncs one tenant: users, then groups, then agent identities. Expected failures (Graph or store errors) are
    /// values in the result, never exceptions; cancellation ends the run as <see cref="SyncOutcome.Cancelled"/> and the
    /// next run resumes from the last stored page.
    /// </summary>
    public async Task<SyncResult> SyncTenantAsync(string tenantId, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        var gate = _tenantLocks.GetOrAdd(tenantId, _ => new SemaphoreSlim(1, 1));
        var startedAt = _time.GetUtcNow();
        if (!await gate.WaitAsync(0, CancellationToken.None))
        {
            SyncLog.AlreadyRunning(_logger, tenantId);
            return new SyncResult(tenantId, SyncOutcome.AlreadyRunning, startedAt, startedAt, TimeSpan.Zero, new Dictionary<string, SyncCounts>(), []);
        }

        try
        {
            return await RunAsync(tenantId, startedAt, progress, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The tenant's last recorded <c>syncStatus</c> body (for the admin API), or null before the first run.</summary>
    public async Task<JsonElement?> GetStatusAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var doc = await _store.GetAsync(tenantId, DocumentKinds.SyncStatus, StatusId, cancellationToken: cancellationToken);
        return doc?.Body;
    }

    private async Task<SyncResult> RunAsync(string tenantId, DateTimeOffset startedAt, IProgress<SyncProgress>? progress, CancellationToken cancellationToken)
    {
        SyncLog.RunStarted(_logger, tenantId);
        var started = _time.GetTimestamp();
        var run = new TenantRun(tenantId, progress);
        var cancelled = false;
        await WriteStatusAsync(run, startedAt, null, null, running: true, CancellationToken.None);

        var steps = new List<(string Resource, Func<TenantRun, CancellationToken, Task<SyncCounts>> Step)>
        {
            (SyncResources.Users, _delta.SyncUsersAsync),
            (SyncResources.Groups, _delta.SyncGroupsAsync),
        };
        if (_options.SyncAgents)
        {
            steps.Add((SyncResources.Agents, _agents.SyncAgentsAsync));
        }

        foreach (var (resource, step) in steps)
        {
            try
            {
                run.Client = _clients.For(tenantId);
                run.Counts[resource] = await step(run, cancellationToken);
                run.Report(resource, "completed", run.Counts[resource].Pages, 0);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                SyncLog.Cancelled(_logger, tenantId);
                break;
            }
            catch (Exception ex)
            {
                // One resource's failure (Graph down, store unavailable, bad payload) must not stop the others.
                var message = Describe(ex);
                SyncLog.ResourceFailed(_logger, ex, resource, tenantId, message);
                run.Errors.Add(new SyncError(resource, message));
                run.Report(resource, "failed", 0, 0);
            }
        }

        var outcome = cancelled ? SyncOutcome.Cancelled : run.Errors.Count == 0 ? SyncOutcome.Succeeded : SyncOutcome.Failed;
        var completedAt = _time.GetUtcNow();
        var elapsed = _time.GetElapsedTime(started);
        var result = new SyncResult(tenantId, outcome, startedAt, completedAt, elapsed, new Dictionary<string, SyncCounts>(run.Counts), [.. run.Errors]);
        await WriteStatusAsync(run, startedAt, result, completedAt, running: false, CancellationToken.None);
        SyncLog.RunCompleted(_logger, tenantId, outcome, (long)elapsed.TotalMilliseconds, run.Errors.Count);
        return result;
    }

    private async Task WriteStatusAsync(TenantRun run, DateTimeOffset startedAt, SyncResult? result, DateTimeOffset? completedAt, bool running, CancellationToken cancellationToken)
    {
        try
        {
            var body = await _writer.ReadAsync(run.TenantId, DocumentKinds.SyncStatus, StatusId, cancellationToken) ?? new JsonObject();
            body["id"] = StatusId;
            body["source"] = Source;
            body["running"] = running;
            body["lastRunStarted"] = startedAt;
            if (result is not null)
            {
                body["lastRunCompleted"] = completedAt;
                body["outcome"] = result.Outcome.ToString();
                body["durationMs"] = (long)result.Duration.TotalMilliseconds;
                var counts = new JsonObject();
                foreach (var (resource, c) in result.Counts)
                {
                    counts[resource] = new JsonObject
                    {
                        ["mode"] = c.Mode,
                        ["pages"] = c.Pages,
                        ["upserted"] = c.Upserted,
                        ["unchanged"] = c.Unchanged,
                        ["deleted"] = c.Deleted,
                        ["disabled"] = c.Disabled,
                    };
                }

                body["counts"] = counts;
                body["errors"] = new JsonArray([.. result.Errors.Select(e => (JsonNode)new JsonObject { ["resource"] = e.Resource, ["message"] = e.Message })]);
                if (result.Outcome == SyncOutcome.Succeeded)
                {
                    body["lastSuccess"] = completedAt;
                }
            }

            await _writer.PutAsync(run.TenantId, DocumentKinds.SyncStatus, StatusId, body, cancellationToken);
        }
        catch (Exception ex)
        {
            // The status is a report; failing to write it must not turn a good sync into a failed one.
            SyncLog.StatusWriteFailed(_logger, ex, run.TenantId);
        }
    }

    /// <summary>A message safe to store and show: the Graph error code and message, never headers or tokens.</summary>
    private static string Describe(Exception ex) => ex switch
    {
        ODataError odata => $"Graph error {odata.ResponseStatusCode} {odata.Error?.Code}: {odata.Error?.Message}",
        ApiException api => $"Graph answered HTTP {api.ResponseStatusCode}",
        StoreException store => $"Store: {store.Message}",
        HttpRequestException http => $"Graph unreachable: {http.HttpRequestError}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
