using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// <see cref="IChangeFeed"/> over the three document containers, in two implementations behind one cursor format
/// (<see cref="CosmosCursor"/>), chosen by <see cref="CosmosStoreOptions.ChangeFeedMode"/>:
/// <list type="bullet">
/// <item><see cref="CosmosChangeFeedMode.ChangeFeed"/>: the SDK change feed, pull model, latest-version mode, one feed
/// range per tenant partition, one continuation per container. Used against Azure and the official emulator.</item>
/// <item><see cref="CosmosChangeFeedMode.Polling"/>: the fallback for endpoints without a change feed (the local test
/// server): single-partition queries on the server timestamp <c>_ts</c>, re-reading an overlap window each time and
/// skipping the ETags already delivered in it.</item>
/// </list>
/// A batch holds each document once, in its latest version.
/// </summary>
public sealed class CosmosChangeFeed : IChangeFeed
{
    private const string ProbeTenant = "__arbiter-changefeed-probe__";

    private readonly CosmosContainers _containers;
    private readonly CosmosStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CosmosChangeFeed> _logger;
    private readonly CosmosCalls _calls;
    private readonly SemaphoreSlim _probeLock = new(1, 1);
    private volatile CosmosChangeFeedMode _mode;

    public CosmosChangeFeed(CosmosContainers containers, IOptions<CosmosStoreOptions> options, TimeProvider time, ILogger<CosmosChangeFeed> logger)
    {
        _containers = containers;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _calls = new CosmosCalls(containers, logger);
        // Auto means "probe at first use" only for a loopback endpoint (test servers may have no change feed); an
        // account always has one.
        _mode = _options.ChangeFeedMode == CosmosChangeFeedMode.Auto && !_options.IsLoopback ? CosmosChangeFeedMode.ChangeFeed : _options.ChangeFeedMode;
    }

    /// <summary>Which implementation is in use: <see cref="CosmosChangeFeedMode.Auto"/> until the probe has decided.</summary>
    public CosmosChangeFeedMode ActiveMode => _mode;

    public Task<string> GetCurrentCursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return _calls.RunAsync(async () => await ModeAsync(cancellationToken) == CosmosChangeFeedMode.ChangeFeed
            ? CosmosCursor.Encode(await FeedNowAsync(tenantId, cancellationToken))
            : CosmosCursor.Encode(await PollNowAsync(tenantId, cancellationToken)), cancellationToken);
    }

    public Task<ChangeBatch> ReadAsync(string tenantId, string cursor, int maxItems = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var decoded = CosmosCursor.Decode(cursor);
        return _calls.RunAsync(async () =>
        {
            var (changes, next) = decoded.Mode == CosmosCursor.FeedMode
                ? await FeedReadAsync(decoded, maxItems, cancellationToken)
                : await PollReadAsync(tenantId, decoded, maxItems, cancellationToken);
            return new ChangeBatch(DedupeKeepLast(changes), CosmosCursor.Encode(next));
        }, cancellationToken);
    }

    private async Task<CosmosChangeFeedMode> ModeAsync(CancellationToken cancellationToken)
    {
        if (_mode != CosmosChangeFeedMode.Auto)
        {
            return _mode;
        }

        await _probeLock.WaitAsync(cancellationToken);
        try
        {
            // Read again under the lock: another caller may have probed while this one waited.
            if (_mode == CosmosChangeFeedMode.Auto)
            {
                var supported = await ProbeChangeFeedAsync(cancellationToken);
                _mode = supported ? CosmosChangeFeedMode.ChangeFeed : CosmosChangeFeedMode.Polling;
                CosmosLog.FeedMode(_logger, _mode, supported ? "probe saw a write on the change feed" : "probe saw no change feed on this local endpoint; polling on _ts");
            }

            return _mode;
        }
        finally
        {
            _probeLock.Release();
        }
    }

    /// <summary>Loopback endpoints only: write one item in a probe partition and see whether the change feed reports it.</summary>
    private async Task<bool> ProbeChangeFeedAsync(CancellationToken cancellationToken)
    {
        var governance = _containers.Governance;
        var partition = new PartitionKey(ProbeTenant);
        var token = await StartFromNowAsync(governance, partition, cancellationToken);
        if (token is null)
        {
            return false;
        }

        using (var written = await governance.UpsertItemStreamAsync(
            CosmosItems.Serialize(ProbeTenant, "changeFeedProbe", "probe", JsonSerializer.SerializeToElement(0), deleted: false, _time.GetUtcNow()), partition, cancellationToken: cancellationToken))
        {
            CosmosCalls.EnsureSuccess(written, "change feed probe");
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var iterator = governance.GetChangeFeedStreamIterator(ChangeFeedStartFrom.ContinuationToken(token), ChangeFeedMode.LatestVersion);
            using var response = await iterator.ReadNextAsync(cancellationToken);
            if (response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotModified)
            {
                return true;
            }

            // Wall-clock wait for the server, not domain time: a test's fake clock must not stall the probe.
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        return false;
    }

    private static async Task<string?> StartFromNowAsync(Container container, PartitionKey partition, CancellationToken cancellationToken)
    {
        using var iterator = container.GetChangeFeedStreamIterator(ChangeFeedStartFrom.Now(FeedRange.FromPartitionKey(partition)), ChangeFeedMode.LatestVersion);
        using var response = await iterator.ReadNextAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.NotModified || response.IsSuccessStatusCode ? response.ContinuationToken : null;
    }

    private async Task<CosmosCursor> FeedNowAsync(string tenantId, CancellationToken cancellationToken)
    {
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var container in _containers.Documents)
        {
            tokens[container.Id] = await StartFromNowAsync(container, new PartitionKey(tenantId), cancellationToken)
                ?? throw new StoreUnavailableException($"Cosmos DB change feed of container {container.Id} could not be started.");
        }

        return CosmosCursor.ForFeed(tokens);
    }

    private async Task<(List<StoredDocument> Changes, CosmosCursor Next)> FeedReadAsync(CosmosCursor cursor, int maxItems, CancellationToken cancellationToken)
    {
        var tokens = new Dictionary<string, string>(cursor.Tokens!, StringComparer.Ordinal);
        var changes = new List<StoredDocument>();
        foreach (var container in _containers.Documents)
        {
            if (!tokens.TryGetValue(container.Id, out var token))
            {
                throw new ArgumentException("The cursor does not belong to this store's containers.", nameof(cursor));
            }

            while (changes.Count < maxItems)
            {
                using var iterator = container.GetChangeFeedStreamIterator(
                    ChangeFeedStartFrom.ContinuationToken(token), ChangeFeedMode.LatestVersion,
                    new ChangeFeedRequestOptions { PageSizeHint = maxItems - changes.Count });
                using var response = await iterator.ReadNextAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.NotModified)
                {
                    token = response.ContinuationToken ?? token;
                    break;
                }

                CosmosCalls.EnsureSuccess(response, "change feed read");
                var page = await CosmosItems.ParseDocumentsAsync(response.Content, cancellationToken);
                changes.AddRange(page);
                token = response.ContinuationToken;
                if (page.Count == 0)
                {
                    break;
                }
            }

            tokens[container.Id] = token;
        }

        return (changes, CosmosCursor.ForFeed(tokens));
    }

    private async Task<CosmosCursor> PollNowAsync(string tenantId, CancellationToken cancellationToken)
    {
        long latest = 0;
        foreach (var container in _containers.Documents)
        {
            var query = new QueryDefinition("SELECT TOP 1 c._ts FROM c WHERE c.tenantId = @tenant ORDER BY c._ts DESC").WithParameter("@tenant", tenantId);
            foreach (var row in await QueryRawAsync(container, tenantId, query, cancellationToken))
            {
                latest = Math.Max(latest, row.GetProperty("_ts").GetInt64());
            }
        }

        // Mark everything already in the overlap window as delivered: "now" means only later changes.
        var (_, next) = await PollReadAsync(tenantId, CosmosCursor.ForPolling(latest, []), int.MaxValue, cancellationToken);
        return next;
    }

    private async Task<(List<StoredDocument> Changes, CosmosCursor Next)> PollReadAsync(string tenantId, CosmosCursor cursor, int maxItems, CancellationToken cancellationToken)
    {
        var overlap = (long)Math.Ceiling(_options.PollingOverlap.TotalSeconds);
        var from = cursor.Since - overlap;
        var rows = new List<(long Ts, StoredDocument Document)>();
        foreach (var container in _containers.Documents)
        {
            var query = new QueryDefinition("SELECT * FROM c WHERE c.tenantId = @tenant AND c._ts >= @from ORDER BY c._ts")
                .WithParameter("@tenant", tenantId)
                .WithParameter("@from", from);
            foreach (var row in await QueryRawAsync(container, tenantId, query, cancellationToken))
            {
                rows.Add((row.GetProperty("_ts").GetInt64(), CosmosItems.ToStored(row)));
            }
        }

        var seen = new HashSet<string>(cursor.Seen!, StringComparer.Ordinal);
        var ordered = rows.OrderBy(r => r.Ts).ToList();
        var candidates = ordered.Where(r => !seen.Contains(r.Document.ETag)).ToList();
        var delivered = candidates.Take(maxItems).ToList();
        var since = candidates.Count > maxItems
            ? Math.Max(cursor.Since, delivered[^1].Ts)
            : Math.Max(cursor.Since, ordered.Count == 0 ? 0 : ordered[^1].Ts);
        foreach (var row in delivered)
        {
            seen.Add(row.Document.ETag);
        }

        // Keep only ETags the next poll's window can still return; older ones can never come back.
        var window = since - overlap;
        var kept = ordered.Where(r => r.Ts >= window && seen.Contains(r.Document.ETag)).Select(r => r.Document.ETag).ToList();
        return ([.. delivered.Select(r => r.Document)], CosmosCursor.ForPolling(since, kept));
    }

    private static async Task<List<JsonElement>> QueryRawAsync(Container container, string tenantId, QueryDefinition query, CancellationToken cancellationToken)
    {
        var results = new List<JsonElement>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(tenantId) });
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            CosmosCalls.EnsureSuccess(page, "query");
            using var document = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            results.AddRange(document.RootElement.GetProperty("Documents").EnumerateArray().Select(e => e.Clone()));
        }

        return results;
    }

    private static List<StoredDocument> DedupeKeepLast(List<StoredDocument> changes)
    {
        var last = new Dictionary<(string Kind, string Id), int>();
        for (var i = 0; i < changes.Count; i++)
        {
            last[(changes[i].Kind, changes[i].Id)] = i;
        }

        return [.. changes.Where((d, i) => last[(d.Kind, d.Id)] == i)];
    }
}
