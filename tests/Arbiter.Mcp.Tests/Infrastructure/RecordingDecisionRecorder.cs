using System.Collections.Concurrent;
using Arbiter.Api.Decisions;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// Arbiter's own recorder (decision log and metrics) with every record also kept in memory, so a test sees at once
/// what the decision log is handed — the request id, the tool and its server — without waiting for its batched flush.
/// </summary>
public sealed class RecordingDecisionRecorder(DecisionLogRecorder inner) : IDecisionRecorder
{
    public sealed record Recorded(string RequestId, DecisionRequest Request, Decision Decision);

    public ConcurrentQueue<Recorded> Records { get; } = new();

    public void Record(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency)
    {
        // The request's JSON belongs to the HTTP call and is disposed with it: keep a copy of what tests read.
        var resource = request.Resource.Properties.ValueKind == System.Text.Json.JsonValueKind.Undefined
            ? request.Resource
            : request.Resource with { Properties = request.Resource.Properties.Clone() };
        Records.Enqueue(new Recorded(requestId, request with { Resource = resource }, decision));
        inner.Record(tenantId, requestId, request, decision, latency);
    }
}
