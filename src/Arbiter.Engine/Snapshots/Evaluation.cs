using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// The state of one evaluation, on the caller's stack: what was resolved, the legs and their matches, and an early
/// problem. Nothing here is shared, so evaluation needs no locks and allocates nothing until a condition is reached.
/// </summary>
internal struct Evaluation(PolicySnapshot snapshot, DecisionRequest request, DateTimeOffset now, bool complete)
{
    public readonly PolicySnapshot Snapshot = snapshot;
    public readonly DecisionRequest Request = request;
    public readonly DateTimeOffset Now = now;
    /// <summary>Scan every leg even after one has failed (for an explanation); otherwise stop at the first failure.</summary>
    public readonly bool Complete = complete;
    /// <summary>Set when a deny stopped before scanning every leg: the trace must be made again to explain it.</summary>
    public bool Partial;
    public string Mode = Decision.PrincipalMode;
    public LegKind[] Legs = Snapshots.Legs.None;
    public MatchList Matches;
    public List<LegNote>? Notes;
    /// <summary>Why the evaluation stopped before (or after) the legs; null when the legs decide.</summary>
    public string? Problem;
    public string ReasonUser = PolicySnapshot.UserReasons.Denied;
    public UserFact? User;
    /// <summary>The subject is not in the directory: the request asserts it, and only policies naming its type apply.</summary>
    public bool Asserted;
    public AgentFact? Agent;
    public AgentEntry? AgentEntry;
    public ResourceView Resource;
    /// <summary>The condition variables, made when the first condition is reached; reset when the subject changes.</summary>
    public Scope? Scope;
    /// <summary>Evaluation steps left for this decision's conditions, all legs together.</summary>
    public int ConditionSteps = Conditions.ConditionLimits.MaxStepsPerDecision;

    public void Note(int leg, string text) => (Notes ??= []).Add(new LegNote(leg, text));

    /// <summary>Whether a deny is already certain after scanning <paramref name="leg"/>, and this evaluation may stop.</summary>
    public bool StopsAt(int leg)
    {
        if (Complete)
            return false;
        Partial = !Snapshots.Legs.Satisfied(Legs[leg], Matches.KindsOn(leg));
        return Partial;
    }

    public void Fail(string problem)
    {
        Mode = PolicySnapshot.Mode(Request);
        Legs = Snapshots.Legs.None;
        Matches = default;
        Notes = null;
        Partial = false;
        Problem = problem;
        ReasonUser = PolicySnapshot.UserReasons.Error;
    }

    public readonly DecisionTrace ToTrace() => new(Request, Mode, Legs, Matches.ToArray(), Notes?.ToArray(), Problem, ReasonUser);
}
