using System.Collections.Frozen;
using Arbiter.Engine.Conditions;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// One condition tried against one request outside a decision (the CLI's <c>policy eval</c>): compiled as a policy's
/// condition is, and evaluated on the same <see cref="Scope"/> a decision builds, with the registered facts of the
/// snapshot — so authors see what the engine would see, without a server. The scope is the one of the legs that look at
/// the requested resource (for <c>agent.invoke</c>, the agent being invoked). Where the engine would deny before any
/// condition runs (an unknown user, agent or resource), the probe still evaluates, on what the request itself sent, and
/// says so in <see cref="Notes"/>.
/// </summary>
public sealed class ConditionProbe
{
    private ConditionProbe(bool compiled, bool? outcome, string? problem, int steps, IReadOnlyList<string> notes)
    {
        Compiled = compiled;
        Outcome = outcome;
        Problem = problem;
        Steps = steps;
        Notes = notes;
    }

    /// <summary>False when the condition does not compile; <see cref="Problem"/> then says why, with line and column.</summary>
    public bool Compiled { get; }

    /// <summary>True or false; null when the condition does not compile or its evaluation failed.</summary>
    public bool? Outcome { get; }

    /// <summary>The compile problem, or the evaluation error in CEL's terms (e.g. <c>no such key: 'amount'</c>).</summary>
    public string? Problem { get; }

    /// <summary>Evaluation steps spent, of <see cref="ConditionLimits.MaxSteps"/>.</summary>
    public int Steps { get; }

    /// <summary>What the probe saw differently from a decision: entities the snapshot does not register.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Compiles <paramref name="condition"/> and evaluates it for <paramref name="request"/> at <paramref name="now"/>. Never throws for any text or request.</summary>
    public static ConditionProbe Run(string condition, DecisionRequest request, PolicySnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (ConditionCompiler.TryCompile(condition, out var program) is { } compileProblem)
            return new ConditionProbe(false, null, compileProblem, 0, []);

        var notes = new List<string>();
        var state = snapshot.State;
        UserFact? user = null;
        string? agentId;
        switch (request.Subject.Type)
        {
            case SubjectTypes.User:
                if (!state.Users.TryGetValue(request.Subject.Id, out user))
                    notes.Add($"user '{request.Subject.Id}' is not registered: subject reads only what the request sent");
                agentId = request.Action == WellKnownActions.AgentInvoke && request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : request.AgentId;
                break;
            case SubjectTypes.Agent:
                agentId = request.Subject.Id;
                break;
            default:
                notes.Add($"subject type '{request.Subject.Type}' is neither 'user' nor 'agent': a decision denies it before any condition");
                agentId = request.AgentId;
                break;
        }

        AgentFact? agent = null;
        if (agentId is null)
            notes.Add("no acting agent (context.agent): agent.* reads null");
        else if (!state.Agents.TryGetValue(agentId, out agent))
            notes.Add($"agent '{agentId}' is not registered: agent.* reads null");

        var resource = ResourceOf(request, snapshot, agent, notes);
        var scope = new Scope(snapshot, request, now, user, agent, resource);
        var budget = ConditionLimits.MaxSteps;
        var outcome = program!.Holds(scope, ref budget, out var problem);
        return new ConditionProbe(true, outcome, problem, ConditionLimits.MaxSteps - budget, notes);
    }

    private static ResourceView ResourceOf(DecisionRequest request, PolicySnapshot snapshot, AgentFact? agent, List<string> notes)
    {
        if (request.Action == WellKnownActions.AgentInvoke && agent is not null)
            return PolicySnapshot.AgentAsResource(agent);
        var problem = snapshot.ResolveResource(request.Resource, out var view);
        if (view.Id is not null)
        {
            if (problem is not null)
                notes.Add(problem);
            return view;
        }
        // Unregistered: the request's id, type and properties only; no directory fields, and the strictest sensitivity
        // (what an unclassified data resource gets).
        notes.Add($"resource {request.Resource.Type} '{request.Resource.Id}' is not registered: resource reads only what the request sent (sensitivity 'restricted')");
        return new ResourceView(request.Resource.Type, request.Resource.Id, null, Sensitivity.Restricted, FrozenSet<string>.Empty, PolicySnapshot.NoAttributes);
    }
}
