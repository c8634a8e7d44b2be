using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

public sealed partial class PolicySnapshot
{
    private const string InvokeLeg = "user-invokes-agent";
    private const string AgentLeg = "agent-grant";
    private const string UserLeg = "user-entitlement";
    private const string OwnerLeg = "owner-forbids";

    private static readonly IReadOnlyDictionary<string, object?> NoAttributes = new Dictionary<string, object?>();

    /// <summary>
    /// Decides a request. Never throws: unknown or disabled entities, malformed input and internal failures are denies
    /// with a reason (fail closed).
    /// </summary>
    public Decision Evaluate(DecisionRequest request)
    {
        var now = _time.GetUtcNow();
        var id = DecisionIds.Next(now);
        try
        {
            return EvaluateCore(request, id, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Deny(id, Mode(request), [], $"internal error while evaluating: {e.GetType().Name}", UserReasons.Error);
        }
    }

    /// <summary>The answer alone, for search: same rules as <see cref="Evaluate"/>, no explanation kept.</summary>
    public bool IsPermitted(DecisionRequest request)
    {
        try
        {
            return EvaluateCore(request, "", _time.GetUtcNow()).Allowed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    private static string Mode(DecisionRequest request) =>
        request.Subject.Type == SubjectTypes.Agent ? Decision.AgentOnlyMode : Decision.PrincipalMode;

    private Decision EvaluateCore(DecisionRequest request, string decisionId, DateTimeOffset now)
    {
        var scope = new Scope(this, request, now);
        return request.Subject.Type switch
        {
            SubjectTypes.User => EvaluatePrincipal(request, decisionId, scope),
            SubjectTypes.Agent => EvaluateAgentOnly(request, decisionId, scope),
            _ => Deny(decisionId, Decision.PrincipalMode, [], $"unsupported subject type '{request.Subject.Type}' (expected 'user' or 'agent')", UserReasons.Denied),
        };
    }

    private Decision EvaluatePrincipal(DecisionRequest request, string decisionId, Scope scope)
    {
        const string mode = Decision.PrincipalMode;
        var userId = request.Subject.Id;
        if (!_lookups.Users.TryGetValue(userId, out var user))
            return Deny(decisionId, mode, [], $"unknown user '{userId}'", UserReasons.Denied);
        if (!user.Enabled)
            return Deny(decisionId, mode, [], $"user '{userId}' is disabled", UserReasons.Denied);
        scope.User = user;

        var invoke = request.Action == WellKnownActions.AgentInvoke;
        // For agent.invoke the resource is the agent; otherwise the agent comes from context.agent.
        var agentId = invoke && request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : request.AgentId;
        if (invoke && request.Resource.Type != ResourceTypes.Agent)
            return Deny(decisionId, mode, [], $"'agent.invoke' needs a resource of type 'agent', not '{request.Resource.Type}'", UserReasons.Denied);
        if (invoke && request.AgentId is not null && request.AgentId != agentId)
            return Deny(decisionId, mode, [], $"context.agent '{request.AgentId}' differs from the agent being invoked '{agentId}'", UserReasons.Denied);
        if (agentId is null)
            return Deny(decisionId, mode, [], "principal-context requests must name the acting agent in context.agent", UserReasons.Denied);
        if (AgentProblem(agentId, out var agent) is { } agentProblem)
            return Deny(decisionId, mode, [], agentProblem, UserReasons.Denied);
        scope.Agent = agent;

        var invokeLeg = UserLegOf(InvokeLeg, WellKnownActions.AgentInvoke, userId, Modes.Principal, AgentAsResource(agent!), agent, scope, requirePermit: true, targetIsAgent: true);
        if (invoke)
            return Conclude(decisionId, mode, request, [invokeLeg]);

        if (ResolveResource(request.Resource, out var resource) is { } resourceProblem)
            return Deny(decisionId, mode, [invokeLeg.Result], resourceProblem, UserReasons.Denied);
        scope.Resource = resource;

        var agentLeg = AgentLegOf(request.Action, agentId, Modes.Principal, resource, agent, scope);
        var userLeg = UserLegOf(UserLeg, request.Action, userId, Modes.Principal, resource, agent, scope, requirePermit: true, targetIsAgent: false);
        return Conclude(decisionId, mode, request, [invokeLeg, agentLeg, userLeg]);
    }

    private Decision EvaluateAgentOnly(DecisionRequest request, string decisionId, Scope scope)
    {
        const string mode = Decision.AgentOnlyMode;
        var agentId = request.Subject.Id;
        if (request.AgentId is not null && request.AgentId != agentId)
            return Deny(decisionId, mode, [], $"context.agent '{request.AgentId}' differs from the subject agent '{agentId}'", UserReasons.Denied);
        if (AgentProblem(agentId, out var agent) is { } agentProblem)
            return Deny(decisionId, mode, [], agentProblem, UserReasons.Denied);
        scope.Agent = agent;
        if (ResolveResource(request.Resource, out var resource) is { } resourceProblem)
            return Deny(decisionId, mode, [], resourceProblem, UserReasons.Denied);
        scope.Resource = resource;

        var legs = new List<Leg>(2) { AgentLegOf(request.Action, agentId, Modes.AgentOnly, resource, agent, scope) };
        // An agent acting alone never exceeds what its owner is forbidden.
        if (agent!.Owner is { } owner)
        {
            if (_lookups.Users.TryGetValue(owner, out var ownerFact))
                scope.User = ownerFact;
            legs.Add(UserLegOf(OwnerLeg, request.Action, owner, Modes.AgentOnly, resource, agent, scope, requirePermit: false, targetIsAgent: false));
        }
        return Conclude(decisionId, mode, request, legs);
    }

    private string? AgentProblem(string agentId, out AgentFact? agent)
    {
        if (!_lookups.Agents.TryGetValue(agentId, out agent))
            return $"unknown agent '{agentId}'";
        if (agent.Suspended)
            return $"agent '{agentId}' is suspended";
        if (!agent.Enabled)
            return $"agent '{agentId}' is disabled";
        return null;
    }

    private static ResourceView AgentAsResource(AgentFact agent) =>
        new(ResourceTypes.Agent, agent.Id, null, Sensitivity.Public, agent.Tags, agent.Attributes);

    private string? ResolveResource(Entity entity, out ResourceView view)
    {
        view = default;
        switch (entity.Type)
        {
            case ResourceTypes.Tool when _lookups.Tools.TryGetValue(entity.Id, out var tool):
                view = new(entity.Type, tool.Id, tool.Server, tool.Sensitivity, tool.Tags, tool.Attributes);
                if (!_lookups.Servers.ContainsKey(tool.Server))
                    return $"tool '{tool.Id}' belongs to unknown MCP server '{tool.Server}'";
                return null;
            case ResourceTypes.McpServer when _lookups.Servers.TryGetValue(entity.Id, out var server):
                view = new(entity.Type, server.Id, server.Id, server.Sensitivity, server.Tags, NoAttributes);
                return null;
            case ResourceTypes.Agent when _lookups.Agents.TryGetValue(entity.Id, out var agent):
                view = AgentAsResource(agent);
                return null;
            default:
                if (FactReader.DataResourceTypes.Contains(entity.Type) && _lookups.Data.TryGetValue(entity.Id, out var data) && data.Type == entity.Type)
                {
                    view = new(entity.Type, data.Id, null, data.Classification, data.Tags, data.Attributes);
                    return null;
                }
                return $"unknown resource {entity.Type} '{entity.Id}'";
        }
    }

    /// <summary>Scans the user policies of an action that name this user, a group of theirs, or anyone authenticated.</summary>
    private void ScanUserPolicies(Leg leg, string action, string userId, Modes mode, in ResourceView resource, AgentFact? agent, Scope scope, bool targetIsAgent)
    {
        if (!_actions.TryGetValue(action, out var index))
            return;
        if (index.AnyAuthenticated.Length > 0)
            leg.Scan(index.AnyAuthenticated, mode, resource, agent, scope, targetIsAgent);
        if (index.ByUser.TryGetValue(userId, out var direct))
            leg.Scan(direct, mode, resource, agent, scope, targetIsAgent);
        if (index.ByGroup.Count == 0 || !_userGroups.TryGetValue(userId, out var groups))
            return;
        foreach (var group in groups)
        {
            if (index.ByGroup.TryGetValue(group, out var viaGroup))
                leg.Scan(viaGroup, mode, resource, agent, scope, targetIsAgent);
        }
    }

    private void ScanAgentGrants(Leg leg, string action, string agentId, Modes mode, in ResourceView resource, AgentFact? agent, Scope scope)
    {
        if (_actions.TryGetValue(action, out var index) && index.ByAgent.TryGetValue(agentId, out var grants))
            leg.Scan(grants, mode, resource, agent, scope, targetIsAgent: false);
    }

    /// <summary>The policies that matched one leg, split by effect and by enforcement (active vs shadow). Lists are made only when needed.</summary>
    private sealed class Leg(string name, bool requirePermit)
    {
        private static readonly List<CompiledPolicy> None = [];

        private List<CompiledPolicy>? _permits, _forbids, _shadowPermits, _shadowForbids;

        public string Name { get; } = name;
        public List<CompiledPolicy> Permits => _permits ?? None;
        public List<CompiledPolicy> Forbids => _forbids ?? None;
        public List<CompiledPolicy> ShadowPermits => _shadowPermits ?? None;
        public List<CompiledPolicy> ShadowForbids => _shadowForbids ?? None;
        public List<string>? Notes { get; private set; }

        public bool Satisfied => (!requirePermit || _permits is not null) && _forbids is null;

        public bool ShadowSatisfied => (!requirePermit || _permits is not null || _shadowPermits is not null) && _forbids is null && _shadowForbids is null;

        public LegResult Result => new(Name, Satisfied, Ids(_permits), Ids(_forbids), Notes ?? (IReadOnlyList<string>)[]);

        private static string[] Ids(List<CompiledPolicy>? policies)
        {
            if (policies is null)
                return [];
            var ids = new string[policies.Count];
            for (var i = 0; i < ids.Length; i++)
                ids[i] = policies[i].Policy.Id;
            return ids;
        }

        public void Note(string note) => (Notes ??= []).Add(note);

        public void Scan(CompiledPolicy[] candidates, Modes mode, in ResourceView resource, AgentFact? agent, Scope scope, bool targetIsAgent)
        {
            foreach (var policy in candidates)
            {
                var p = policy.Policy;
                if ((p.Modes & mode) == 0 || (!requirePermit && p.Effect == Effect.Permit))
                    continue;
                // agent.invoke: the target agent is what the policy's 'agents' names; otherwise 'agents' limits the acting agent.
                if (p.IsUserPolicy && !policy.AllowsAgent(agent))
                    continue;
                if (!targetIsAgent && !policy.MatchesResource(resource))
                    continue;
                if (p.NotBefore is { } nb && scope.Now < nb)
                {
                    Note($"policy '{p.Id}' is not valid before {nb:O}");
                    continue;
                }
                if (p.NotAfter is { } na && scope.Now >= na)
                {
                    Note($"policy '{p.Id}' expired at {na:O}");
                    continue;
                }
                if (p.Condition is not null && !ConditionHolds(policy, scope, this))
                    continue;

                var target = (p.Effect, policy.IsShadow) switch
                {
                    (Effect.Permit, false) => _permits ??= new List<CompiledPolicy>(2),
                    (Effect.Permit, true) => _shadowPermits ??= new List<CompiledPolicy>(2),
                    (Effect.Forbid, false) => _forbids ??= new List<CompiledPolicy>(2),
                    _ => _shadowForbids ??= new List<CompiledPolicy>(2),
                };
                if (!target.Contains(policy))
                    target.Add(policy);
            }
        }
    }

    private Leg UserLegOf(string name, string action, string userId, Modes mode, in ResourceView resource, AgentFact? agent, Scope scope, bool requirePermit, bool targetIsAgent)
    {
        var leg = new Leg(name, requirePermit);
        ScanUserPolicies(leg, action, userId, mode, resource, agent, scope, targetIsAgent);
        return leg;
    }

    private Leg AgentLegOf(string action, string agentId, Modes mode, in ResourceView resource, AgentFact? agent, Scope scope)
    {
        var leg = new Leg(AgentLeg, requirePermit: true);
        ScanAgentGrants(leg, action, agentId, mode, resource, agent, scope);
        return leg;
    }

    /// <summary>Evaluates a condition. An error fails closed: a permit does not apply, a forbid does.</summary>
    private static bool ConditionHolds(CompiledPolicy policy, Scope scope, Leg leg)
    {
        var forbid = policy.Policy.Effect == Effect.Forbid;
        if (policy.Condition is null)
        {
            leg.Note($"policy '{policy.Policy.Id}' has a condition that does not compile; treated as {(forbid ? "matching (forbid)" : "not matching (permit)")}");
            return forbid;
        }
        try
        {
            var value = policy.Condition(scope.Variables);
            if (value is bool b)
                return b;
            leg.Note($"condition of policy '{policy.Policy.Id}' returned {value?.GetType().Name ?? "null"}, not a bool");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            leg.Note($"condition of policy '{policy.Policy.Id}' failed: {e.Message}");
        }
        return forbid;
    }

    private Decision Conclude(string decisionId, string mode, DecisionRequest request, IReadOnlyList<Leg> legs)
    {
        var allowed = true;
        var shadowAllowed = true;
        var anyShadow = false;
        foreach (var leg in legs)
        {
            allowed &= leg.Satisfied;
            shadowAllowed &= leg.ShadowSatisfied;
            anyShadow |= leg.ShadowPermits.Count + leg.ShadowForbids.Count > 0;
        }
        if (decisionId.Length == 0)
            return allowed ? BareAnswers.Permit : BareAnswers.Deny;

        var matched = new List<string>(4);
        foreach (var leg in legs)
        {
            AddIds(matched, leg.Permits);
            AddIds(matched, leg.Forbids);
        }
        ShadowResult? shadow = null;
        if (anyShadow)
        {
            var shadowIds = new List<string>(2);
            foreach (var leg in legs)
            {
                AddIds(shadowIds, leg.ShadowPermits);
                AddIds(shadowIds, leg.ShadowForbids);
            }
            shadow = new ShadowResult(shadowAllowed, shadowAllowed != allowed, shadowIds);
        }
        var results = new LegResult[legs.Count];
        for (var i = 0; i < results.Length; i++)
            results[i] = legs[i].Result;

        if (allowed)
        {
            var obligations = MergeObligations(legs.SelectMany(l => l.Permits));
            var admin = "permit: " + string.Join("; ", legs.Where(l => l.Permits.Count > 0)
                .Select(l => $"{l.Name} by {string.Join(", ", l.Permits.Select(p => p.Policy.Id))}"));
            return new Decision(true, decisionId, Version, mode, results, matched, admin, UserReasons.Permitted, obligations, shadow);
        }

        // A forbid is the reason whenever there is one: it wins over everything else.
        var failed = legs.FirstOrDefault(l => l.Forbids.Count > 0) ?? legs.First(l => !l.Satisfied);
        string reason;
        string user;
        if (failed.Forbids.Count > 0)
        {
            reason = $"forbidden by {string.Join(", ", failed.Forbids.Select(p => $"policy '{p.Policy.Id}'"))} ({failed.Name})";
            user = UserReasons.Forbidden;
        }
        else
        {
            (reason, user) = failed.Name switch
            {
                InvokeLeg => ($"user '{request.Subject.Id}' may not invoke agent '{(request.Action == WellKnownActions.AgentInvoke ? request.Resource.Id : request.AgentId)}'", UserReasons.NoAgentAccess),
                AgentLeg => ($"agent '{(mode == Decision.AgentOnlyMode ? request.Subject.Id : request.AgentId)}' holds no {mode} grant for '{request.Action}' on {request.Resource.Type} '{request.Resource.Id}'", UserReasons.AgentNotPermitted),
                _ => ($"user '{request.Subject.Id}' is not entitled to '{request.Action}' on {request.Resource.Type} '{request.Resource.Id}'", UserReasons.UserNotPermitted),
            };
        }
        if (failed.Notes is { Count: > 0 })
            reason += " [" + string.Join("; ", failed.Notes) + "]";
        return new Decision(false, decisionId, Version, mode, results, matched, "deny: " + reason, user, [], shadow);
    }

    private Decision Deny(string decisionId, string mode, IReadOnlyList<LegResult> legs, string reason, string userReason) =>
        decisionId.Length == 0 ? BareAnswers.Deny : new(false, decisionId, Version, mode, legs, [], "deny: " + reason, userReason, [], null);

    private static void AddIds(List<string> target, List<CompiledPolicy> policies)
    {
        foreach (var policy in policies)
        {
            if (!target.Contains(policy.Policy.Id))
                target.Add(policy.Policy.Id);
        }
    }

    /// <summary>Answers without explanation, for search (an empty decision id asks for these).</summary>
    private static class BareAnswers
    {
        public static readonly Decision Permit = new(true, "", 0, "", [], [], "", "", [], null);
        public static readonly Decision Deny = new(false, "", 0, "", [], [], "", "", [], null);
    }

    /// <summary>Row filters all apply (each kept); redactions are merged into one obligation (the union).</summary>
    private static IReadOnlyList<Obligation> MergeObligations(IEnumerable<CompiledPolicy> permits)
    {
        List<Obligation>? result = null;
        SortedSet<string>? fields = null, classifications = null, sources = null;
        foreach (var permit in permits)
        {
            foreach (var obligation in permit.Policy.Obligations)
            {
                if (obligation.Type == ObligationTypes.Redact)
                {
                    fields ??= new(StringComparer.Ordinal);
                    classifications ??= new(StringComparer.Ordinal);
                    sources ??= new(StringComparer.Ordinal);
                    AddStrings(obligation.Properties, "fields", fields);
                    AddStrings(obligation.Properties, "classifications", classifications);
                    sources.Add(obligation.Id);
                }
                else
                {
                    result ??= [];
                    if (!result.Any(o => o.Id == obligation.Id))
                        result.Add(obligation);
                }
            }
        }
        if (fields is not null)
        {
            result ??= [];
            var properties = JsonSerializer.SerializeToElement(
                new Dictionary<string, SortedSet<string>> { ["fields"] = fields, ["classifications"] = classifications!, ["sources"] = sources! },
                EngineJsonContext.Default.DictionaryStringSortedSetString);
            result.Add(new Obligation("redact", ObligationTypes.Redact, properties));
        }
        return result ?? (IReadOnlyList<Obligation>)[];
    }

    private static void AddStrings(JsonElement properties, string name, SortedSet<string> target)
    {
        if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                    target.Add(item.GetString()!);
            }
        }
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
