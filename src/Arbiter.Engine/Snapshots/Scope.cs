using System.Text.Json;
using System.Text.Json.Serialization;
using Arbiter.Engine.Conditions;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// What a condition sees, made only when a policy with a condition is reached: the activation its compiled program
/// reads, straight from the request and the facts (nothing is copied; a field is read only if the condition names it).
/// The variables (README "Conditions"): <c>subject</c>, <c>agent</c>, <c>resource</c> — each with the AuthZEN
/// <c>id</c>, <c>type</c> and <c>properties</c> the request sent, and beside them the directory's registered facts
/// (typed fields, and free-form <c>attributes</c>); <c>action</c> (<c>name</c>, <c>properties</c>); <c>context</c>; and
/// <c>now</c>, a timestamp.
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

    private static readonly CelValue EmptyMap = CelValue.Map(CelMap.Empty);
    private static readonly CelValue EmptyList = CelValue.List(CelList.Empty);

    private static readonly CelType SubjectType = Entity("arbiter.Subject",
        ("id", CelType.String, s => Text(s.User?.Id ?? s.Request.Subject.Id)),
        ("type", CelType.String, s => CelValue.String(s.User is null ? s.Request.Subject.Type : SubjectTypes.User)),
        // The request's properties describe the request's subject, not the owner an owner-forbids leg looks at.
        ("properties", CelType.JsonObject, s => s.User is null || s.User.Id == s.Request.Subject.Id ? Json(s.Request.Subject.Properties) : EmptyMap),
        ("groups", CelType.StringList, s => s.User is null ? EmptyList : CelValue.List(new CelList.Strings(s.Snapshot.GroupsOf(s.User.Id)))),
        ("enabled", CelType.Bool, s => CelValue.Bool(s.User?.Enabled ?? (s.Request.Subject.Type == SubjectTypes.Agent && s.Agent is { Active: true }))),
        ("attributes", CelType.JsonObject, s => Attributes(s.User?.Attributes)));

    private static readonly CelType AgentType = Entity("arbiter.Agent",
        ("id", CelType.String, s => Text(s.Agent?.Id)),
        ("type", CelType.String, s => s.Agent is null ? CelValue.Null : CelValue.String(SubjectTypes.Agent)),
        ("enabled", CelType.Bool, s => CelValue.Bool(s.Agent?.Enabled ?? false)),
        ("suspended", CelType.Bool, s => CelValue.Bool(s.Agent?.Suspended ?? false)),
        ("owner", CelType.String, s => Text(s.Agent?.Owner)),
        ("sponsors", CelType.StringList, s => s.Agent is null ? EmptyList : CelValue.List(new CelList.Strings(s.Agent.Sponsors))),
        ("tags", CelType.StringList, s => s.Agent is null ? EmptyList : CelValue.List(new CelList.Strings(s.Agent.Tags.Items, s.Agent.Tags))),
        ("blueprintId", CelType.String, s => Text(s.Agent?.BlueprintId)),
        ("source", CelType.String, s => Text(s.Agent?.Source)),
        ("attributes", CelType.JsonObject, s => Attributes(s.Agent?.Attributes)));

    private static readonly CelType ResourceType = Entity("arbiter.Resource",
        ("id", CelType.String, s => Text(s.Resource.Id)),
        ("type", CelType.String, s => Text(s.Resource.Type)),
        // The request's hints describe the requested resource, not the agent the invoke leg looks at.
        ("properties", CelType.JsonObject, s => s.Resource.Id == s.Request.Resource.Id && s.Resource.Type == s.Request.Resource.Type ? Json(s.Request.Resource.Properties) : EmptyMap),
        ("server", CelType.String, s => Text(s.Resource.Server)),
        ("sensitivity", CelType.String, s => s.Resource.Id is null ? CelValue.Null : CelValue.String(SensitivityNames.Name(s.Resource.Sensitivity))),
        ("level", CelType.Int, s => s.Resource.Id is null ? CelValue.Null : CelValue.Int((long)s.Resource.Sensitivity)),
        ("tags", CelType.StringList, s => s.Resource.Tags is null ? EmptyList : CelValue.List(new CelList.Strings(s.Resource.Tags.Items, s.Resource.Tags))),
        ("attributes", CelType.JsonObject, s => Attributes(s.Resource.Attributes)));

    private static readonly CelType ActionType = Entity("arbiter.Action",
        ("name", CelType.String, s => CelValue.String(s.Request.Action)),
        ("properties", CelType.JsonObject, s => Json(s.Request.ActionProperties)));

    /// <summary>The declared variables and how each is read from a scope.</summary>
    public static readonly ConditionEnvironment Environment = new ConditionEnvironment()
        .Declare("subject", SubjectType, Whole(SubjectType))
        .Declare("agent", AgentType, Whole(AgentType))
        .Declare("resource", ResourceType, Whole(ResourceType))
        .Declare("action", ActionType, Whole(ActionType))
        .Declare("context", CelType.JsonObject, a => Json(((Scope)a).Request.Context))
        .Declare("now", CelType.Timestamp, a => CelValue.Timestamp(((Scope)a).Now.UtcTicks));

    private PolicySnapshot Snapshot => snapshot;
    private DecisionRequest Request => request;

    private static CelType Entity(string name, params (string Field, CelType Type, Func<Scope, CelValue> Read)[] fields) =>
        CelType.Object(name, fields.ToDictionary(f => f.Field, f => new CelType.ObjectField(f.Type, a => f.Read((Scope)a)), StringComparer.Ordinal));

    /// <summary>An entity named on its own (<c>subject</c>, not <c>subject.id</c>): a map whose fields are read as asked.</summary>
    private static Func<Activation, CelValue> Whole(CelType type)
    {
        var fields = type.Fields!;
        var names = fields.Keys.ToArray();
        return a => CelValue.Map(new CelMap.Fields(names, name => fields[name].Read(a)));
    }

    private static CelValue Text(string? text) => text is null ? CelValue.Null : CelValue.String(text);

    private static CelValue Json(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? CelValue.Map(new CelMap.Json(element)) : EmptyMap;

    private static CelValue Attributes(IReadOnlyDictionary<string, object?>? attributes) =>
        attributes is null || attributes.Count == 0 ? EmptyMap : CelValue.Map(new CelMap.Objects(attributes));
}
