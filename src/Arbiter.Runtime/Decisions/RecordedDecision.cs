using Arbiter.Engine.Decisions;

namespace Arbiter.Runtime.Decisions;

/// <summary>One answered decision of a batch, as the decision log records it.</summary>
public readonly record struct RecordedDecision(DecisionRequest Request, Decision Decision, TimeSpan Latency);
