namespace Arbiter.DecisionLog;

/// <summary>
/// Where decision records are kept (SQLite, Cosmos DB): the seam between the logger and a store.
/// Writes are upserts by (tenant, decision id): writing a batch twice stores each record once.
/// </summary>
public interface IDecisionLogSink
{
    /// <summary>
    /// Stores every record of the batch, or throws. Any exception is treated as transient (the batch is retried, then
    /// spilled); throw <see cref="DecisionLogRejectedException"/> for records the sink can never store.
    /// </summary>
    Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken);

    /// <summary>A validated query (see <see cref="IDecisionLogQuery"/>).</summary>
    Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken);
}

/// <summary>A sink that expires old records itself when asked (SQLite). Cosmos DB expires them by TTL and needs none.</summary>
public interface IDecisionLogRetention
{
    /// <summary>Deletes records older than the retention; returns how many.</summary>
    Task<long> PruneAsync(CancellationToken cancellationToken);
}

/// <summary>The sink can never store these records (not a transient failure): they are counted lost with reason <c>rejected</c>.</summary>
public sealed class DecisionLogRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Validates queries and hands them to the sink.</summary>
internal sealed class DecisionLogReader(IDecisionLogSink sink) : IDecisionLogQuery
{
    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, string? continuation, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var problems = query.Validate(pageSize);
        if (problems.Count > 0)
        {
            throw new ArgumentException(problems[0].Message, problems[0].Field);
        }

        return sink.QueryAsync(tenantId, query, DecisionLogCursor.Decode(continuation), pageSize, cancellationToken);
    }
}
