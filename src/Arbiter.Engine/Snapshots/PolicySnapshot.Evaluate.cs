using System.Collections.Frozen;
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
        request = WithAliases(request);
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
        request.HasContext
        || request.ActionProperties.ValueKind != System.Text.Json.JsonValueKind.Undefined
        || request.Subject.Properties.ValueKind != System.Text.Json.JsonValueKind.Undefined
        || request.Resource.Properties.ValueKind != System.Text.Json.JsonValueKind.Undefined;

    /// <summary>The answer alone, for search: same rules as <see cref="Evaluate"/>, nothing kept for an explanation.</summary>
    public bool IsPermitted(DecisionRequest request)
    {
        var e = new Evaluation(this, WithAliases(request), _time.GetUtcNow(), complete: false);
        return TryDecide(ref e);
    }

    /// <summary>The request with the tenant's subject type alias applied (<c>identity</c> → <c>user</c>); itself when none applies.</summary>
    private DecisionRequest WithAliases(DecisionRequest request)
    {
        var type = State.Settings.SubjectType(request.Subject.Type);
        return ReferenceEquals(type, request.Subject.Type) ? request : request with { Subject = request.Subject with { Type = type } };
    }

    /// <summary>Evaluates every leg of a (normalised) request again at <paramref name="now"/>, recording everything, for an explanation.</summary>
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

    /// <summary>An agent acts alone; a user (or asserted subject) acts through the agent it names, or directly with none.</summary>
    internal static string Mode(DecisionRequest request) =>
        request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode
        : IsDirect(request) ? Decision.DirectMode
        : Decision.PrincipalMode;

    private static bool IsDirect(DecisionRequest request) => request.AgentId is null && request.Action != WellKnownActions.AgentInvoke;

    private bool Decide(ref Evaluation e)
    {
        Prefetch(e.Request);
        if (e.Request.Subject.Type == SubjectTypes.Agent)
            return DecideAgentOnly(ref e);
        var direct = IsDirect(e.Request);
        if (direct)
            e.Mode = Decision.DirectMode; // also when the subject is refused below: the log says which mode was asked for
        if (ResolveSubject(ref e, out var principal) is { } subjectProblem)
            return Stop(ref e, subjectProblem);
        return direct ? DecideDirect(ref e, principal) : DecidePrincipal(ref e, principal);
    }

    /// <summary>
    /// Asks for the table slots of the request's user, agent and tool at once: on a large tenant each is a cache miss,
    /// and looked up one after the other they would be waited for one after the other.
    /// </summary>
    private void Prefetch(DecisionRequest request)
    {
        var subject = request.Subject;
        if (subject.Id is null)
            return;
        if (subject.Type == SubjectTypes.User)
            _principals.Prefetch(subject.Id);
        if ((subject.Type == SubjectTypes.Agent ? subject.Id : request.AgentId ?? (request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : null)) is { } agentId)
            _agents.Prefetch(agentId);
        if (request.Resource.Type == ResourceTypes.Tool && request.Resource.Id is { } toolId)
            _resources.Tools.Prefetch(toolId);
    }

    /// <summary>
    /// The directory's user when it holds one (its facts win over anything the request says); otherwise an asserted
    /// subject, if the tenant lets requests assert subjects of that type (docs/open-world.md).
    /// </summary>
    private string? ResolveSubject(ref Evaluation e, out Principal principal)
    {
        var subject = e.Request.Subject;
        if (subject.Type == SubjectTypes.User && _principals.TryGetValue(subject.Id, out principal) && principal.Fact is { } user)
        {
            if (!principal.Enabled)
                return $"user '{subject.Id}' is disabled";
            e.User = user;
            return null;
        }
        principal = Principal.Unknown;
        if (!State.Settings.MayAssertSubject(subject.Type))
        {
            return subject.Type == SubjectTypes.User
                ? $"unknown user '{subject.Id}'"
                : $"unknown {subject.Type} '{subject.Id}': subjects of type '{subject.Type}' may not be asserted in this tenant";
        }
        e.Asserted = true;
        return null;
    }

    /// <summary>A subject acting with no agent: one leg, the subject's own entitlement, from policies whose modes include direct.</summary>
    private bool DecideDirect(ref Evaluation e, in Principal principal)
    {
        e.Mode = Decision.DirectMode;
        if (ResolveResource(e.Request.Resource, out e.Resource) is { } resourceProblem)
            return Stop(ref e, resourceProblem);
        e.Legs = Legs.Direct;
        ScanUserPolicies(ref e, 0, _actions.GetValueOrDefault(e.Request.Action), principal, Modes.Direct, targetIsAgent: false);
        return Conclude(ref e);
    }

    /// <summary>A deny before (or instead of) the legs' verdict, with its reason for operators.</summary>
    private static bool Stop(ref Evaluation e, string problem)
    {
        e.Problem = problem;
        e.ReasonUser = UserReasons.Denied;
        return false;
    }

    private bool DecidePrincipal(ref Evaluation e, in Principal principal)
    {
        var request = e.Request;

        var invoke = request.Action == WellKnownActions.AgentInvoke;
        // For agent.invoke the resource is the agent; otherwise the agent comes from context.agent.
        var agentId = invoke && request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : request.AgentId;
        if (invoke && request.Resource.Type != ResourceTypes.Agent)
            return Stop(ref e, $"'agent.invoke' needs a resource of type 'agent', not '{request.Resource.Type}'");
        if (invoke && request.AgentId is not null && request.AgentId != agentId)
            return Stop(ref e, $"context.agent '{request.AgentId}' differs from the agent being invoked '{agentId}'");
        if (agentId is null)
            return Stop(ref e, "principal-context requests must name the acting agent in context.agent");
        var index = invoke ? null : _actions.GetValueOrDefault(request.Action);
        // The agent's slot was asked for with the user's; its entry object is asked for now, with the groups' runs.
        var agentFound = _agents.TryGetValue(agentId, out var agentEntry);
        if (agentFound)
            CacheLine.Prefetch(agentEntry!, 0, AgentEntry.HotBytes);
        PrefetchGroupRuns(principal, _invoke, index, candidates: false);
        if (AgentProblem(agentId, agentFound ? agentEntry : null) is { } agentProblem)
            return Stop(ref e, agentProblem);
        PrefetchAgentParts(agentEntry!);
        var agent = agentEntry!.Fact;
        e.Agent = agent;
        e.AgentEntry = agentEntry;

        // An unknown resource still reports the invoke leg. That leg is about the agent: its conditions see the agent as
        // the resource (as a direct agent.invoke request does); the other legs' conditions see the requested resource.
        ResourceView resource = default;
        var resourceProblem = invoke ? null : ResolveResource(request.Resource, out resource);
        e.Resource = AgentAsResource(agent);
        e.Legs = invoke || resourceProblem is not null ? Legs.InvokeOnly : Legs.Principal;
        PrefetchGroupRuns(principal, _invoke, index, candidates: true);
        ScanUserPolicies(ref e, 0, _invoke, principal, Modes.Principal, targetIsAgent: true);
        if (resourceProblem is not null)
            return Stop(ref e, resourceProblem);
        if (!invoke)
        {
            if (e.StopsAt(0))
                return false;
            e.Resource = resource;
            e.Scope = null;
            ScanAgentGrants(ref e, 1, index, Modes.Principal);
            if (e.StopsAt(1))
                return false;
            ScanUserPolicies(ref e, 2, index, principal, Modes.Principal, targetIsAgent: false);
        }
        return Conclude(ref e);
    }

    /// <summary>
    /// Asks for what the user's group scans will read, for both legs at once (<see cref="CacheLine"/>): first each
    /// group's entry in the action's run table, then — once those have arrived — the start of each group's run.
    /// </summary>
    private static void PrefetchGroupRuns(in Principal principal, ActionIndex? invoke, ActionIndex? action, bool candidates)
    {
        for (var i = 0; i < principal.GroupCount; i++)
        {
            var group = principal.Group(i);
            Prefetch(invoke, group, candidates);
            Prefetch(action, group, candidates);
        }

        static void Prefetch(ActionIndex? index, int group, bool candidates)
        {
            if (index is null || (uint)group >= (uint)index.ByGroup.Length)
                return;
            if (!candidates)
                CacheLine.Prefetch(ref index.ByGroup[group]);
            else if (index.ByGroup[group] is { Count: > 0 } run)
                CacheLine.Prefetch(ref index.GroupCandidates[run.Start]);
        }
    }

    private bool DecideAgentOnly(ref Evaluation e)
    {
        e.Mode = Decision.AgentOnlyMode;
        var request = e.Request;
        var agentId = request.Subject.Id;
        if (request.AgentId is not null && request.AgentId != agentId)
            return Stop(ref e, $"context.agent '{request.AgentId}' differs from the subject agent '{agentId}'");
        _agents.TryGetValue(agentId, out var agentEntry);
        if (AgentProblem(agentId, agentEntry) is { } agentProblem)
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

    /// <summary>Why the agent (its entry, null when the directory has none) may not act; null when it may.</summary>
    private static string? AgentProblem(string agentId, AgentEntry? agent)
    {
        if (agent is null)
            return $"unknown agent '{agentId}'";
        if (agent.Usable)
            return null; // the fact is not read on the way to a yes: it may still be on its way (PrefetchAgentParts)
        if (agent.Fact.Suspended)
            return $"agent '{agentId}' is suspended";
        return $"agent '{agentId}' is disabled";
    }

    /// <summary>Asks for what the legs will read through the agent's entry: its fact (the invoke leg's resource) and its grants.</summary>
    private static void PrefetchAgentParts(AgentEntry agent)
    {
        CacheLine.Prefetch(agent.Fact, 0, 64);
        CacheLine.Prefetch(agent.Grants, 0, 64);
    }

    internal static ResourceView AgentAsResource(AgentFact agent) =>
        new(ResourceTypes.Agent, agent.Id, null, Sensitivity.Public, agent.Tags, agent.Attributes) { TypeBit = ResourceTypeBits.Agent };

    /// <summary>
    /// What the resource is: the directory's when it holds it (tools, MCP servers and agents must be registered);
    /// otherwise what the request supplies, if the tenant allows that type (docs/open-world.md).
    /// </summary>
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
            case ResourceTypes.User when _principals.TryGetValue(entity.Id, out var principal) && principal.Fact is { } user:
                // A person as a resource carries no classification: unlabelled counts as restricted.
                view = _index.Resources.Indexed(new(entity.Type, user.Id, null, Sensitivity.Restricted, FrozenSet<string>.Empty, user.Attributes) { TypeBit = ResourceTypeBits.User });
                return null;
        }
        if (_resources.Data.TryGetValue(entity.Id, out resolved))
        {
            if (resolved.View.Type != entity.Type)
                return $"resource '{entity.Id}' is registered as {resolved.View.Type}, not {entity.Type}";
            view = resolved.View;
            return null;
        }
        if (!State.Settings.MaySupplyResource(entity.Type))
            return $"unknown resource {entity.Type} '{entity.Id}'";
        view = Supplied(entity);
        return null;
    }

    /// <summary>
    /// A resource the directory does not hold, as the request describes it: its classification (absent or unreadable →
    /// restricted, so a sensitivity bound never admits an unlabelled document), its tags, and no attributes.
    /// </summary>
    private ResourceView Supplied(Entity entity)
    {
        var level = Sensitivity.Restricted;
        var tags = FrozenSet<string>.Empty;
        var properties = entity.Properties;
        if (properties.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            if (properties.TryGetProperty("classification", out var label) || properties.TryGetProperty("sensitivity", out label))
                level = Level(label);
            if (properties.TryGetProperty("tags", out var list) && list.ValueKind == System.Text.Json.JsonValueKind.Array && list.GetArrayLength() > 0)
                tags = list.EnumerateArray().Where(t => t.ValueKind == System.Text.Json.JsonValueKind.String).Select(t => t.GetString()!).ToFrozenSet(StringComparer.Ordinal);
        }
        return _index.Resources.Indexed(new ResourceView(entity.Type, entity.Id, null, level, tags, NoAttributes) { TypeBit = ResourceTypeBits.Of(entity.Type) });
    }

    private static Sensitivity Level(System.Text.Json.JsonElement label)
    {
        if (label.ValueKind != System.Text.Json.JsonValueKind.String)
            return Sensitivity.Restricted;
        for (var i = 0; i < SensitivityNames.All.Count; i++)
        {
            if (label.ValueEquals(SensitivityNames.All[i]))
                return (Sensitivity)i;
        }
        return Sensitivity.Restricted;
    }

    /// <summary>
    /// Scans the user policies of an action that name this user, a group of theirs (by ordinal), anyone authenticated,
    /// or users by type. An asserted subject is matched only by the policies that name its type.
    /// </summary>
    private static void ScanUserPolicies(ref Evaluation e, int leg, ActionIndex? index, in Principal principal, Modes mode, bool targetIsAgent, string? ownerId = null)
    {
        if (index is null)
            return;
        var byType = index.BySubjectType;
        if (e.Asserted && ownerId is null)
        {
            if (byType.Count > 0 && byType.TryGetValue(e.Request.Subject.Type, out var typed))
                Scan(ref e, leg, typed, mode, targetIsAgent);
            return;
        }
        if (byType.Count > 0 && byType.TryGetValue(SubjectTypes.User, out var users))
            Scan(ref e, leg, users, mode, targetIsAgent);
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
            if (c.AgentFilter >= 0 && (e.AgentEntry is not { } acting || !acting.Passes(c.AgentFilter)))
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
