using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;
using Arbiter.Runtime.Telemetry;

namespace Arbiter.Runtime.Decisions;

/// <summary>
/// Hands every answered decision to the decision log and to the metrics. Not sealed: a test host may observe what the
/// log is handed by deriving from it (no interface seam is needed in production).
/// </summary>
public class DecisionLogRecorder(DecisionLogger log, ArbiterTelemetry telemetry, TimeProvider time)
{
    public virtual ValueTask RecordAsync(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency, CancellationToken cancellationToken)
    {
        telemetry.Record(decision, latency);
        log.TryLog(DecisionRecord.From(tenantId, requestId, request, decision, latency, time.GetUtcNow()));
        return ValueTask.CompletedTask;
    }

    public virtual ValueTask RecordAllAsync(string tenantId, string requestId, IReadOnlyList<RecordedDecision> decisions, CancellationToken cancellationToken)
    {
        foreach (var d in decisions)
        {
            telemetry.Record(d.Decision, d.Latency);
            log.TryLog(DecisionRecord.From(tenantId, requestId, d.Request, d.Decision, d.Latency, time.GetUtcNow()));
        }
        return ValueTask.CompletedTask;
    }
}
