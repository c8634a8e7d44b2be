using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Telemetry;

namespace Arbiter.Runtime.Decisions;

/// <summary>
/// Decides on a tenant's snapshot, failing closed when there is none (the lease's reason becomes the deny's reason)
/// and when the engine itself fails (a deny with the reason, never an exception to the caller), and traces each
/// decision. Recording is the caller's second step (<see cref="DecisionLogRecorder"/>), so a batch is recorded once.
/// </summary>
public sealed class Decider(TimeProvider time)
{
    public RecordedDecision Decide(SnapshotLease lease, DecisionRequest request)
    {
        using var activity = ArbiterTelemetry.Source.StartActivity("arbiter.decide");
        var started = Stopwatch.GetTimestamp();
        Decision decision;
        if (lease.Snapshot is { } snapshot)
        {
            try
            {
                decision = snapshot.Evaluate(request, explain: true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The engine denies on bad data by itself; this is the net under a bug: a deny with a reason.
                decision = FailClosed($"internal error while deciding ({e.GetType().Name})", request);
            }
        }
        else
        {
            decision = FailClosed(lease.Failure!, request);
        }
        var latency = Stopwatch.GetElapsedTime(started);
        if (activity is not null)
        {
            activity.SetTag("arbiter.decision", decision.Allowed ? "permit" : "deny");
            activity.SetTag("arbiter.mode", decision.Mode);
            activity.SetTag("arbiter.decision_id", decision.DecisionId);
            activity.SetTag("arbiter.snapshot_version", decision.SnapshotVersion);
        }
        return new RecordedDecision(request, decision, latency);
    }

    private Decision FailClosed(string failure, DecisionRequest request) =>
        new(false, DecisionIds.Next(time.GetUtcNow()), 0,
            request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode : Decision.PrincipalMode,
            [], [], "deny: " + failure, PolicySnapshot.UserReasons.Error, [], null);
}
