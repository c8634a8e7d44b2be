using System.Text.Json;
using System.Text.Json.Serialization;
using Arbiter.Engine.Conditions;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// What a condition sees, made only when a policy with a condition is reached: the activation its compiled program
/// reads, straight from the request and the facts (nothing is copied into dictionaries). The CEL variables:
/// <c>subject</c>, <c>agent</c>, <c>resource</c> (directory facts, with the request's hints under <c>properties</c>),
/// <c>action</c>, <c>context</c> (the request's context) and <c>now</c> (unix, hourUtc, dayOfWeek).
/// Per leg: in <c>user-invokes-agent</c> the resource is the agent being invoked (for any action, as in a direct
/// <c>agent.invoke</c>); in the other legs it is the requested resource. In <c>owner-forbids</c> the subject is the
/// agent's owner; in an agent-only <c>agent-grant</c> it is the agent (no user facts).
/// </summary>
internal sealed class Scope(PolicySnapshot snapshot, DecisionRequest request, DateTimeOffset now, UserFact? user, AgentFact? agent, ResourceView resource) : Activation
{
    public DateTimeOffset Now { get; } = now;
    public UserFact? User { get; } = user;
    public AgentFact? Agent { get; } = agent;
    public ResourceView Resource { get; } = resource;

    /// <summary>The declared variables and how each is read from a scope.</summary>
    public static readonly ConditionEnvironment Environment = new ConditionEnvironment()
        .Declare("subject", CelType.Dyn, a => CelValue.Map(new Flat(((Scope)a).SubjectField, ((Scope)a).User?.Attributes)))
        .Declare("agent", CelType.Dyn, a => CelValue.Map(new Flat(((Scope)a).AgentField, ((Scope)a).Agent?.Attributes)))
        .Declare("resource", CelType.Dyn, a => CelValue.Map(new Flat(((Scope)a).ResourceField, ((Scope)a).Resource.Id is null ? null : ((Scope)a).Resource.Attributes)))
        .Declare("action", CelType.Dyn, a => CelValue.Map(new Flat(((Scope)a).ActionField, null)))
        .Declare("context", CelType.Dyn, a => Json(((Scope)a).RequestContext))
        .Declare("now", CelType.Dyn, a => CelValue.Map(new Flat(((Scope)a).NowField, null)));

    private JsonElement RequestContext => request.Context;

    private static CelValue Json(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? CelValue.Map(new CelMap.Json(element)) : CelValue.Map(CelMap.Empty);

    private static CelValue Strings(IEnumerable<string> items) => CelValue.List(new CelList.Strings([.. items]));

    private CelValue? SubjectField(string name) => name switch
    {
        "groups" when User is not null => Strings(snapshot.GroupsOf(User.Id)),
        "enabled" when User is not null => CelValue.Bool(User.Enabled),
        "id" => request.Subject.Type == SubjectTypes.User ? CelValue.String(request.Subject.Id) : User is null ? CelValue.Null : CelValue.String(User.Id),
        "type" => CelValue.String(User is null ? request.Subject.Type : SubjectTypes.User),
        "properties" => Json(request.Subject.Properties),
        _ => null,
    };

    private CelValue? AgentField(string name) => Agent is null ? null : name switch
    {
        "id" => CelValue.String(Agent.Id),
        "tags" => CelValue.List(new CelList.Strings([.. Agent.Tags], Agent.Tags)),
        "blueprintId" => Nullable(Agent.BlueprintId),
        "owner" => Nullable(Agent.Owner),
        "sponsors" => Strings(Agent.Sponsors),
        "source" => CelValue.String(Agent.Source),
        _ => null,
    };

    private CelValue? ResourceField(string name)
    {
        if (name == "properties")
        {
            // The request's hints describe the requested resource, not the agent the invoke leg looks at.
            return Resource.Id == request.Resource.Id && Resource.Type == request.Resource.Type
                ? Json(request.Resource.Properties)
                : CelValue.Map(CelMap.Empty);
        }
        return Resource.Id is null ? null : name switch
        {
            "id" => CelValue.String(Resource.Id),
            "type" => CelValue.String(Resource.Type),
            "server" => Nullable(Resource.Server),
            "sensitivity" => CelValue.String(SensitivityNames.Name(Resource.Sensitivity)),
            "level" => CelValue.Int((long)Resource.Sensitivity),
            "tags" => CelValue.List(new CelList.Strings([.. Resource.Tags], Resource.Tags)),
            _ => null,
        };
    }

    private CelValue? ActionField(string name) => name switch
    {
        "name" => CelValue.String(request.Action),
        "properties" => Json(request.ActionProperties),
        _ => null,
    };

    private CelValue? NowField(string name) => name switch
    {
        "unix" => CelValue.Int(Now.ToUnixTimeSeconds()),
        "hourUtc" => CelValue.Int(Now.UtcDateTime.Hour),
        "dayOfWeek" => CelValue.String(Now.UtcDateTime.DayOfWeek.ToString()),
        _ => null,
    };

    private static CelValue Nullable(string? s) => s is null ? CelValue.Null : CelValue.String(s);

    /// <summary>An entity as one map: its named fields first, then the directory attributes flattened beside them.</summary>
    private sealed class Flat(Func<string, CelValue?> field, IReadOnlyDictionary<string, object?>? attributes) : CelMap
    {
        private static readonly string[] Probe = ["groups", "enabled", "id", "type", "properties", "tags", "blueprintId", "owner", "sponsors", "source", "server", "sensitivity", "level", "name", "unix", "hourUtc", "dayOfWeek"];

        public override int Count => Keys().Count();

        public override bool TryGet(string key, out CelValue value)
        {
            if (field(key) is { } v)
            {
                value = v;
                return true;
            }
            if (attributes is not null && attributes.TryGetValue(key, out var a))
            {
                value = CelValue.FromObject(a);
                return true;
            }
            value = default;
            return false;
        }

        public override IEnumerable<CelValue> Keys() =>
            Probe.Where(k => field(k) is not null).Concat(attributes?.Keys.Where(k => field(k) is null) ?? []).Select(CelValue.String);
    }
}

[JsonSerializable(typeof(Dictionary<string, SortedSet<string>>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
