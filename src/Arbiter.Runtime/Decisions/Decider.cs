using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Telemetry;

namespace Arbiter.Runtime.Decisions;

/// <summary>
/// Decides on a tenant's snapshot, failing closed when there is none (the lease's reason becomes the deny's reason)
/// and when the engine itself fails (a deny with the reason, never an exception to the caller), and traces each
/// decision (a single evaluation as one span, a batch as one span for all its items). Recording is the caller's second step (<see cref="DecisionLogRecorder"/>), so a batch is recorded once.
/// </summary>
public sealed class Decider(TimeProvider time)
{
    public const string DecideSpan = "arbiter.decide";
    public const string BatchSpan = "arbiter.decide_batch";

    /// <summary>One decision, traced as its own <c>arbiter.decide</c> span.</summary>
    public RecordedDecision Decide(SnapshotLease lease, DecisionRequest request)
    {
        using var activity = ArbiterTelemetry.Source.StartActivity(DecideSpan);
        var decided = DecideUntraced(lease, request);
        if (activity is not null)
        {
            var decision = decided.Decision;
            activity.SetTag("arbiter.decision", decision.Allowed ? "permit" : "deny");
            activity.SetTag("arbiter.mode", decision.Mode);
            activity.SetTag("arbiter.decision_id", decision.DecisionId);
            activity.SetTag("arbiter.snapshot_version", decision.SnapshotVersion);
        }
        return decided;
    }

    /// <summary>
    /// One item of a batch: not a span of its own. A span per item (an activity, its tags and the async-local switch)
    /// cost a fifth of what a batch allocated; the batch is one span (<see cref="StartBatch"/>) and each item is counted
    /// in the metrics and kept in the decision log.
    /// </summary>
    public RecordedDecision DecideInBatch(SnapshotLease lease, DecisionRequest request) => DecideUntraced(lease, request);

    /// <summary>The span of one batch request (<c>arbiter.decide_batch</c>); <see cref="TagBatch"/> adds what it decided.</summary>
    public static Activity? StartBatch(int items)
    {
        var activity = ArbiterTelemetry.Source.StartActivity(BatchSpan);
        activity?.SetTag("arbiter.batch.size", items);
        return activity;
    }

    /// <summary>Tags the batch span with what it decided: how many items were decided, and how many permitted.</summary>
    public static void TagBatch(Activity? activity, IReadOnlyList<RecordedDecision> decided)
    {
        if (activity is null)
            return;
        var permits = 0;
        foreach (var d in decided)
        {
            if (d.Decision.Allowed)
                permits++;
        }
        activity.SetTag("arbiter.batch.decided", decided.Count);
        activity.SetTag("arbiter.batch.permits", permits);
        if (decided.Count > 0)
            activity.SetTag("arbiter.snapshot_version", decided[0].Decision.SnapshotVersion);
    }

    private RecordedDecision DecideUntraced(SnapshotLease lease, DecisionRequest request)
    {
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
        return new RecordedDecision(request, decision, Stopwatch.GetElapsedTime(started));
    }

    private Decision FailClosed(string failure, DecisionRequest request) =>
        new(false, DecisionIds.Next(time.GetUtcNow()), 0,
            request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode : Decision.PrincipalMode,
            [], [], "deny: " + failure, PolicySnapshot.UserReasons.Error, [], null);
}
