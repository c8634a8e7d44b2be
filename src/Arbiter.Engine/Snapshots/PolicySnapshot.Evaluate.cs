using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

public sealed partial class PolicySnapshot
{
    internal static readonly IReadOnlyDictionary<string, object?> NoAttributes = new Dictionary<string, object?>();

    /// <summary>
    /// Decides a request. Never throws: unknown or disabled entities, malformed input and internal failures are denies
    /// with a reason (fail closed). A deny stops at the first leg that fails; the explanation — every leg, the reasons —
    /// is worked out when it is first read, from the same snapshot, request and time, so it always matches the answer.
    /// With <paramref name="explain"/> every leg is evaluated at once (a caller that writes the explanation out anyway,
    /// like the HTTP API, saves the second pass). So is a request whose JSON a condition could read: the caller may free
    /// that JSON before the explanation is read.
    /// </summary>
    public Decision Evaluate(DecisionRequest request, bool explain = false)
    {
        var now = _time.GetUtcNow();
        var id = DecisionIds.Reserve(now);
        var complete = explain || (_index.HasConditions && CarriesJson(request));
        var e = new Evaluation(this, request, now, complete);
        var allowed = TryDecide(ref e);
        return e.Partial
            ? new Decision(false, id, Version, e.Mode, null, DecisionTrace.Deferred(this, request, now))
            : new Decision(allowed, id, Version, e.Mode, e.ReasonUser, e.ToTrace());
    }

    private static bool CarriesJson(DecisionRequest request) =>
        request.Context.ValueKind != System.Text.Json.JsonValueKind.Undefined
        || request.ActionProperties.ValueKind != System.Text.Json.JsonValueKind.Undefined
        || request.Subject.Properties.ValueKind != System.Text.Json.JsonValueKind.Undefined
        || request.Resource.Properties.ValueKind != System.Text.Json.JsonValueKind.Undefined;

    /// <summary>The answer alone, for search: same rules as <see cref="Evaluate"/>, nothing kept for an explanation.</summary>
    public bool IsPermitted(DecisionRequest request)
    {
        var e = new Evaluation(this, request, _time.GetUtcNow(), complete: false);
        return TryDecide(ref e);
    }

    /// <summary>Evaluates every leg of a request again at <paramref name="now"/>, recording everything, for an explanation.</summary>
    internal DecisionTrace Retrace(DecisionRequest request, DateTimeOffset now)
    {
        var e = new Evaluation(this, request, now, complete: true);
        TryDecide(ref e);
        return e.ToTrace();
    }

    private bool TryDecide(ref Evaluation e)
    {
        try
        {
            return Decide(ref e);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            e.Fail($"internal error while evaluating: {ex.GetType().Name}");
            return false;
        }
    }

    internal static string Mode(DecisionRequest request) =>
        request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode : Decision.PrincipalMode;

    private bool Decide(ref Evaluation e) => e.Request.Subject.Type switch
    {
        SubjectTypes.User => DecidePrincipal(ref e),
        SubjectTypes.Agent => DecideAgentOnly(ref e),
        _ => Stop(ref e, $"unsupported subject type '{e.Request.Subject.Type}' (expected 'user' or 'agent')"),
    };

    /// <summary>A deny before (or instead of) the legs' verdict, with its reason for operators.</summary>
    private static bool Stop(ref Evaluation e, string problem)
    {
        e.Problem = problem;
        e.ReasonUser = UserReasons.Denied;
        return false;
    }

    private bool DecidePrincipal(ref Evaluation e)
    {
        var request = e.Request;
        var userId = request.Subject.Id;
        if (!_principals.TryGetValue(userId, out var principal) || principal.Fact is not { } user)
            return Stop(ref e, $"unknown user '{userId}'");
        if (!principal.Enabled)
            return Stop(ref e, $"user '{userId}' is disabled");
        e.User = user;

        var invoke = request.Action == WellKnownActions.AgentInvoke;
        // For agent.invoke the resource is the agent; otherwise the agent comes from context.agent.
        var agentId = invoke && request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : request.AgentId;
        if (invoke && request.Resource.Type != ResourceTypes.Agent)
            return Stop(ref e, $"'agent.invoke' needs a resource of type 'agent', not '{request.Resource.Type}'");
        if (invoke && request.AgentId is not null && request.AgentId != agentId)
            return Stop(ref e, $"context.agent '{request.AgentId}' differs from the agent being invoked '{agentId}'");
        if (agentId is null)
            return Stop(ref e, "principal-context requests must name the acting agent in context.agent");
        if (AgentProblem(agentId, out var agentEntry) is { } agentProblem)
            return Stop(ref e, agentProblem);
        var agent = agentEntry!.Fact;
        e.Agent = agent;
        e.AgentEntry = agentEntry;

        // An unknown resource still reports the invoke leg. That leg is about the agent: its conditions see the agent as
        // the resource (as a direct agent.invoke request does); the other legs' conditions see the requested resource.
        ResourceView resource = default;
        var resourceProblem = invoke ? null : ResolveResource(request.Resource, out resource);
        e.Resource = AgentAsResource(agent);
        e.Legs = invoke || resourceProblem is not null ? Legs.InvokeOnly : Legs.Principal;
        ScanUserPolicies(ref e, 0, _invoke, principal, Modes.Principal, targetIsAgent: true);
        if (resourceProblem is not null)
            return Stop(ref e, resourceProblem);
        if (!invoke)
        {
            if (e.StopsAt(0))
                return false;
            e.Resource = resource;
            e.Scope = null;
            var index = _actions.GetValueOrDefault(request.Action);
            ScanAgentGrants(ref e, 1, index, Modes.Principal);
            if (e.StopsAt(1))
                return false;
            ScanUserPolicies(ref e, 2, index, principal, Modes.Principal, targetIsAgent: false);
        }
        return Conclude(ref e);
    }

    private bool DecideAgentOnly(ref Evaluation e)
    {
        e.Mode = Decision.AgentOnlyMode;
        var request = e.Request;
        var agentId = request.Subject.Id;
        if (request.AgentId is not null && request.AgentId != agentId)
            return Stop(ref e, $"context.agent '{request.AgentId}' differs from the subject agent '{agentId}'");
        if (AgentProblem(agentId, out var agentEntry) is { } agentProblem)
            return Stop(ref e, agentProblem);
        var agent = agentEntry!.Fact;
        e.Agent = agent;
        e.AgentEntry = agentEntry;
        if (ResolveResource(request.Resource, out e.Resource) is { } resourceProblem)
            return Stop(ref e, resourceProblem);

        var index = _actions.GetValueOrDefault(request.Action);
        var owner = agent.Owner;
        e.Legs = owner is null ? Legs.AgentAlone : Legs.AgentWithOwner;
        ScanAgentGrants(ref e, 0, index, Modes.AgentOnly);
        if (e.StopsAt(0))
            return false;
        // An agent acting alone never exceeds what its owner is forbidden; the owner's conditions see the owner as subject.
        if (owner is not null)
        {
            var ownerPrincipal = _principals.TryGetValue(owner, out var known) ? known : Principal.Unknown;
            e.User = ownerPrincipal.Fact;
            e.Scope = null;
            ScanUserPolicies(ref e, 1, index, ownerPrincipal, Modes.AgentOnly, targetIsAgent: false, ownerId: owner);
        }
        return Conclude(ref e);
    }

    private string? AgentProblem(string agentId, out AgentEntry? agent)
    {
        if (!_agents.TryGetValue(agentId, out agent))
            return $"unknown agent '{agentId}'";
        if (agent.Fact.Suspended)
            return $"agent '{agentId}' is suspended";
        if (!agent.Fact.Enabled)
            return $"agent '{agentId}' is disabled";
        return null;
    }

    internal static ResourceView AgentAsResource(AgentFact agent) =>
        new(ResourceTypes.Agent, agent.Id, null, Sensitivity.Public, agent.Tags, agent.Attributes) { TypeBit = ResourceTypeBits.Agent };

    internal string? ResolveResource(Entity entity, out ResourceView view)
    {
        Resolved resolved;
        view = default;
        if (entity.Id is null)
            return $"resource {entity.Type} has no id";
        switch (entity.Type)
        {
            case ResourceTypes.Tool when _resources.Tools.TryGetValue(entity.Id, out resolved):
                view = resolved.View;
                return resolved.Problem;
            case ResourceTypes.McpServer when _lookups.Servers.TryGetValue(entity.Id, out var server):
                view = _index.Resources.Indexed(new(entity.Type, server.Id, server.Id, server.Sensitivity, server.Tags, NoAttributes) { TypeBit = ResourceTypeBits.McpServer });
                return null;
            case ResourceTypes.Agent when _lookups.Agents.TryGetValue(entity.Id, out var agent):
                view = _index.Resources.Indexed(AgentAsResource(agent));
                return null;
            default:
                if (_resources.Data.TryGetValue(entity.Id, out resolved) && resolved.View.Type == entity.Type)
                {
                    view = resolved.View;
                    return null;
                }
                return $"unknown resource {entity.Type} '{entity.Id}'";
        }
    }

    /// <summary>Scans the user policies of an action that name this user, a group of theirs (by ordinal), or anyone authenticated.</summary>
    private static void ScanUserPolicies(ref Evaluation e, int leg, ActionIndex? index, in Principal principal, Modes mode, bool targetIsAgent, string? ownerId = null)
    {
        if (index is null)
            return;
        if (index.AnyAuthenticated.Length > 0)
            Scan(ref e, leg, index.AnyAuthenticated, mode, targetIsAgent);
        if (index.ByUser.Count > 0 && index.ByUser.TryGetValue(ownerId ?? e.Request.Subject.Id, out var direct))
            Scan(ref e, leg, direct, mode, targetIsAgent);
        var byGroup = index.ByGroup;
        for (var i = 0; i < principal.GroupCount; i++)
        {
            var (start, count) = byGroup[principal.Group(i)];
            if (count > 0)
                Scan(ref e, leg, index.GroupCandidates.AsSpan(start, count), mode, targetIsAgent);
        }
    }

    private static void ScanAgentGrants(ref Evaluation e, int leg, ActionIndex? index, Modes mode)
    {
        if (index is not null && e.AgentEntry!.Grants[index.Ordinal] is { } grants)
            Scan(ref e, leg, grants, mode, targetIsAgent: false);
    }

    private static void Scan(ref Evaluation e, int leg, ReadOnlySpan<Candidate> candidates, Modes mode, bool targetIsAgent)
    {
        var requirePermit = Legs.RequiresPermit(e.Legs[leg]);
        foreach (ref readonly var c in candidates)
        {
            if ((c.Modes & mode) == 0 || (!requirePermit && c.IsPermit))
                continue;
            // agent.invoke: the target agent is what the policy's 'agents' names; otherwise 'agents' limits the acting agent.
            if (c.AgentFilter >= 0 && !e.AgentEntry!.Passes(c.AgentFilter))
                continue;
            if (!targetIsAgent && !c.MatchesResource(e.Resource))
                continue;
            if (c.NeedsWindowCheck && !WithinWindow(ref e, leg, c.Policy.Policy))
                continue;
            if (c.NeedsCondition && !ConditionHolds(ref e, leg, c.Policy))
                continue;
            e.Matches.Add(leg, c.Kind, c.Policy);
        }
    }

    private static bool WithinWindow(ref Evaluation e, int leg, Policy p)
    {
        if (p.NotBefore is { } nb && e.Now < nb)
        {
            e.Note(leg, $"policy '{p.Id}' is not valid before {nb:O}");
            return false;
        }
        if (p.NotAfter is { } na && e.Now >= na)
        {
            e.Note(leg, $"policy '{p.Id}' expired at {na:O}");
            return false;
        }
        return true;
    }

    /// <summary>Evaluates a condition. An error fails closed: a permit does not apply, a forbid does.</summary>
    private static bool ConditionHolds(ref Evaluation e, int leg, CompiledPolicy policy)
    {
        var forbid = policy.Policy.Effect == Effect.Forbid;
        if (policy.Condition is null)
        {
            e.Note(leg, $"policy '{policy.Policy.Id}' has a condition that does not compile ({policy.ConditionError}); treated as {(forbid ? "matching (forbid)" : "not matching (permit)")}");
            return forbid;
        }
        e.Scope ??= new Scope(e.Snapshot, e.Request, e.Now, e.User, e.Agent, e.Resource);
        if (policy.Condition.Holds(e.Scope, ref e.ConditionSteps, out var problem) is { } holds)
            return holds;
        e.Note(leg, $"condition of policy '{policy.Policy.Id}' failed: {problem}");
        return forbid;
    }

    /// <summary>Permit only when every leg is satisfied; the user's reason names the first leg that failed (a forbid first).</summary>
    private static bool Conclude(ref Evaluation e)
    {
        var firstForbid = -1;
        var firstUnsatisfied = -1;
        for (var leg = 0; leg < e.Legs.Length; leg++)
        {
            var seen = e.Matches.KindsOn(leg);
            if (firstForbid < 0 && (seen & MatchKind.Forbid) != 0)
                firstForbid = leg;
            if (firstUnsatisfied < 0 && !Legs.Satisfied(e.Legs[leg], seen))
                firstUnsatisfied = leg;
        }
        if (firstUnsatisfied < 0)
        {
            e.ReasonUser = UserReasons.Permitted;
            return true;
        }
        e.ReasonUser = firstForbid >= 0 ? UserReasons.Forbidden : e.Legs[firstUnsatisfied] switch
        {
            LegKind.Invoke => UserReasons.NoAgentAccess,
            LegKind.AgentGrant => UserReasons.AgentNotPermitted,
            _ => UserReasons.UserNotPermitted,
        };
        return false;
    }

    /// <summary>Safe for the end user: says what kind of refusal, never which policy or fact.</summary>
    public static class UserReasons
    {
        public const string Permitted = "Allowed.";
        public const string Denied = "Access denied.";
        public const string Forbidden = "This action is blocked by your organisation's policy.";
        public const string NoAgentAccess = "You do not have access to this agent.";
        public const string AgentNotPermitted = "This agent is not permitted to perform this action.";
        public const string UserNotPermitted = "You are not permitted to perform this action.";
        public const string Error = "Access denied: the request could not be evaluated.";
    }
}
