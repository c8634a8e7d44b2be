namespace Arbiter.DecisionLog.Tests;

/// <summary>Test records and sinks.</summary>
internal static class Records
{
    private static long _next;

    public static DecisionRecord Make(
        string tenant = "t1", DateTimeOffset? time = null, string subject = "alice", string? agent = "hr-assistant",
        string action = "tools/call", string resourceType = "tool", string resource = "hr-lookup", bool allowed = true, string? id = null) =>
        new(
            id ?? "d" + Interlocked.Increment(ref _next).ToString("D12", System.Globalization.CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..8],
            time ?? new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero),
            tenant,
            "req-1",
            "user",
            subject,
            agent,
            action,
            resourceType,
            resource,
            allowed,
            "principal",
            allowed ? ["p-allow"] : [],
            allowed ? "permitted by p-allow" : "no permit",
            allowed ? "allowed" : "not allowed",
            allowed ? [new ObligationRef("o1", "redact")] : [],
            3,
            12,
            false,
            []);
}

/// <summary>An in-memory sink keyed by (tenant, id), so a rewrite never duplicates; counts every write attempt.</summary>
internal sealed class MemorySink : IDecisionLogSink
{
    private readonly Dictionary<(string, string), DecisionRecord> _records = [];

    public int Writes { get; private set; }

    public long TotalRecordsWritten { get; private set; }

    public int Count
    {
        get
        {
            lock (_records)
            {
                return _records.Count;
            }
        }
    }

    public bool Contains(string id)
    {
        lock (_records)
        {
            return _records.Keys.Any(k => k.Item2 == id);
        }
    }

    public Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            Writes++;
            TotalRecordsWritten += records.Count;
            foreach (var r in records)
            {
                _records[(r.TenantId, r.Id)] = r;
            }
        }

        return Task.CompletedTask;
    }

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

/// <summary>Fails the first <c>failures</c> writes (transient), or every write while <see cref="Down"/> is set, then passes through.</summary>
internal sealed class FlakySink(IDecisionLogSink inner, int failures) : IDecisionLogSink
{
    private int _remaining = failures;

    public int Attempts;

    public Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        if (Interlocked.Decrement(ref _remaining) >= 0)
        {
            throw new IOException("transient: store unavailable");
        }

        return inner.WriteBatchAsync(records, cancellationToken);
    }

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken) =>
        inner.QueryAsync(tenantId, query, after, pageSize, cancellationToken);
}
