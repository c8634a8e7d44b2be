using System.Collections.Concurrent;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;
using Arbiter.Runtime.Decisions;
using Arbiter.Runtime.Telemetry;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// Arbiter's own recorder (decision log and metrics) with every record also kept in memory, so a test sees at once
/// what the decision log is handed — the request id, the tool and its server — without waiting for its batched flush.
/// </summary>
public sealed class RecordingDecisionRecorder(DecisionLogger log, ArbiterTelemetry telemetry, TimeProvider time) : DecisionLogRecorder(log, telemetry, time)
{
    public sealed record Recorded(string RequestId, DecisionRequest Request, Decision Decision);

    public ConcurrentQueue<Recorded> Records { get; } = new();

    public override ValueTask RecordAsync(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency, CancellationToken cancellationToken)
    {
        Keep(requestId, request, decision);
        return base.RecordAsync(tenantId, requestId, request, decision, latency, cancellationToken);
    }

    public override ValueTask RecordAllAsync(string tenantId, string requestId, IReadOnlyList<RecordedDecision> decisions, CancellationToken cancellationToken)
    {
        foreach (var d in decisions)
            Keep(requestId, d.Request, d.Decision);
        return base.RecordAllAsync(tenantId, requestId, decisions, cancellationToken);
    }

    private void Keep(string requestId, DecisionRequest request, Decision decision)
    {
        // The request's JSON belongs to the HTTP call and is disposed with it: keep a copy of what tests read.
        var resource = request.Resource.Properties.ValueKind == System.Text.Json.JsonValueKind.Undefined
            ? request.Resource
            : request.Resource with { Properties = request.Resource.Properties.Clone() };
        Records.Enqueue(new Recorded(requestId, request with { Resource = resource }, decision));
    }
}
