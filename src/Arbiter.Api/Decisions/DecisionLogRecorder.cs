using Arbiter.Api.Telemetry;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;

namespace Arbiter.Api.Decisions;

/// <summary>Hands every answered decision to the decision log (non-blocking) and to the metrics.</summary>
public sealed class DecisionLogRecorder(DecisionLogger log, ArbiterTelemetry telemetry, TimeProvider time) : IDecisionRecorder
{
    public void Record(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency)
    {
        telemetry.Record(decision, latency);
        log.TryLog(DecisionRecord.From(tenantId, requestId, request, decision, latency, time.GetUtcNow()));
    }
}
