using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Keeps a tenant's directory documents (users, groups, agents) in step with Entra ID through Microsoft Graph.
/// Users and groups follow delta queries whose links are checkpointed per stored page (<c>syncState</c> documents
/// <c>graph:users</c>/<c>graph:groups</c>), so an interrupted run resumes where it stopped with nothing lost or doubled;
/// agent identities (no delta API) are listed in full each run. Each run records a <c>syncStatus</c> document <c>graph</c>.
/// Concurrency: runs of one tenant never overlap within this process (a second call returns
/// <see cref="SyncOutcome.AlreadyRunning"/>); across instances the Functions timer's singleton lock covers the schedule,
/// and ETag read-modify-writes keep even an overlapping run-now call from corrupting documents.
/// </summary>
public sealed partial class EntraSyncService
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
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _tenantLocks = new(StringComparer.Ordinal);

    public EntraSyncService(IDocumentStore store, GraphClientRegistry clients, IOptions<GraphOptions> options, TimeProvider time, ILogger<EntraSyncService> logger)
    {
        _store = store;
        _writer = new DocumentWriter(store);
        _clients = clients;
        _options = options.Value;
        _time = time;
        _logger = logger;
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
            (SyncResources.Users, SyncUsersAsync),
            (SyncResources.Groups, SyncGroupsAsync),
        };
        if (_options.SyncAgents)
        {
            steps.Add((SyncResources.Agents, SyncAgentsAsync));
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

    /// <summary>
    /// Our outer retry, for what the throttling handler does not cover (it already honoured Retry-After on 429/503/504):
    /// dropped connections, truncated bodies, timeouts, and 5xx/429 still failing after its retries.
    /// </summary>
    private async Task<T> WithRetryAsync<T>(TenantRun run, string resource, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested && IsTransient(ex))
            {
                var delay = RetryAfter(ex) ?? Backoff(attempt);
                SyncLog.TransientFailure(_logger, ex.GetType().Name, resource, run.TenantId, attempt, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken);
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseMs = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(baseMs * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        ApiException api when IsResyncRequired(api, out _) => false,
        ApiException api => api.ResponseStatusCode is 408 or 429 or >= 500,
        HttpRequestException or IOException or JsonException or TimeoutException => true,
        // HttpClient.Timeout surfaces as TaskCanceledException while the caller's token is not cancelled.
        OperationCanceledException => true,
        _ => ex.InnerException is not null && IsTransient(ex.InnerException),
    };

    private static TimeSpan? RetryAfter(Exception ex)
    {
        if (ex is ApiException api && api.ResponseHeaders.TryGetValue("Retry-After", out var values))
        {
            var value = values.FirstOrDefault();
            if (int.TryParse(value, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, 300));
            }
        }

        return null;
    }

    /// <summary>410 Gone, or an error code saying the delta token can no longer be used: start over with a full sync.</summary>
    private static bool IsResyncRequired(Exception ex, out string reason)
    {
        reason = string.Empty;
        if (ex is ODataError odata && odata.Error?.Code is { } code &&
            (code.Equals("syncStateNotFound", StringComparison.OrdinalIgnoreCase) ||
             code.Equals("resyncRequired", StringComparison.OrdinalIgnoreCase) ||
             code.Equals("syncStateInvalid", StringComparison.OrdinalIgnoreCase)))
        {
            reason = code;
            return true;
        }

        if (ex is ApiException { ResponseStatusCode: (int)HttpStatusCode.Gone })
        {
            reason = "410 Gone";
            return true;
        }

        return false;
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

    /// <summary>State of one tenant run.</summary>
    private sealed class TenantRun(string tenantId, IProgress<SyncProgress>? progress)
    {
        public string TenantId { get; } = tenantId;
        public GraphServiceClient Client { get; set; } = null!;
        public Dictionary<string, SyncCounts> Counts { get; } = new(StringComparer.Ordinal);
        public List<SyncError> Errors { get; } = [];

        public void Report(string resource, string phase, int pages, int items) =>
            progress?.Report(new SyncProgress(TenantId, resource, phase, pages, items));
    }

    /// <summary>Counters of one resource, safe to bump from parallel writers.</summary>
    private sealed class Tally
    {
        private int _upserted;
        private int _unchanged;
        private int _deleted;
        private int _disabled;

        public int Pages { get; set; }
        public int Items { get; set; }

        public void Add(WriteOutcome outcome)
        {
            switch (outcome)
            {
                case WriteOutcome.Written: Interlocked.Increment(ref _upserted); break;
                case WriteOutcome.Deleted: Interlocked.Increment(ref _deleted); break;
                default: Interlocked.Increment(ref _unchanged); break;
            }
        }

        public void AddAll(IEnumerable<WriteOutcome> outcomes)
        {
            foreach (var outcome in outcomes)
            {
                Add(outcome);
            }
        }

        public void AddDisabled() => Interlocked.Increment(ref _disabled);

        public SyncCounts ToCounts(string mode) => new(Pages, _upserted, _unchanged, _deleted, _disabled, mode);
    }
}
