using Arbiter.Engine.Decisions;

namespace Arbiter.Api.Decisions;

/// <summary>One answered decision of a batch, for <see cref="DecisionLogRecorder.RecordAllAsync"/>.</summary>
public readonly record struct RecordedDecision(DecisionRequest Request, Decision Decision, TimeSpan Latency);
