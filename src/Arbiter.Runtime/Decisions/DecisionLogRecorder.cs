using Arbiter.Runtime.Telemetry;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;

namespace Arbiter.Runtime.Decisions;

/// <summary>
/// Hands every answered decision to the metrics and to the decision log. Awaited before the answer is written: with the
/// journal (the default), it completes once the record is durable, so a crash never loses an answered decision. A
/// journal that cannot be written does not fail the decision (it is counted and health is degraded; see the README).
/// Not sealed: a test host may observe what the log is handed by deriving from it (no interface seam in production).
/// </summary>
public class DecisionLogRecorder(DecisionLogger log, ArbiterTelemetry telemetry, TimeProvider time)
{
    public virtual ValueTask RecordAsync(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency, CancellationToken cancellationToken)
    {
        telemetry.Record(decision, latency);
        return log.LogAsync(DecisionRecord.From(tenantId, requestId, request, decision, latency, time.GetUtcNow()), cancellationToken);
    }

    /// <summary>The decisions of one batch request: one group commit for all of them.</summary>
    public virtual ValueTask RecordAllAsync(string tenantId, string requestId, IReadOnlyList<RecordedDecision> decisions, CancellationToken cancellationToken)
    {
        if (decisions.Count == 0)
            return ValueTask.CompletedTask;
        var now = time.GetUtcNow();
        var records = new DecisionRecord[decisions.Count];
        for (var i = 0; i < decisions.Count; i++)
        {
            var (request, decision, latency) = decisions[i];
            telemetry.Record(decision, latency);
            records[i] = DecisionRecord.From(tenantId, requestId, request, decision, latency, now);
        }
        return log.LogAllAsync(records, cancellationToken);
    }
}
