using Arbiter.Engine.Decisions;

namespace Arbiter.Api.Decisions;

/// <summary>Where answered decisions go after the response is decided (the decision log). Must never block.</summary>
public interface IDecisionRecorder
{
    void Record(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency);
}

/// <summary>Records nothing; used when no decision log is configured.</summary>
public sealed class NoDecisionRecorder : IDecisionRecorder
{
    public void Record(string tenantId, string requestId, DecisionRequest request, Decision decision, TimeSpan latency)
    {
    }
}
