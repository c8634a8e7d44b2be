using System.Text.Json;
using System.Text.Json.Serialization;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// What a condition sees, made only when a policy with a condition is reached. The CEL variables:
/// <c>subject</c>, <c>agent</c>, <c>resource</c> (directory facts, with the request's hints under <c>properties</c>),
/// <c>action</c>, <c>context</c> (the request's context) and <c>now</c> (unix, hourUtc, dayOfWeek).
/// Per leg: in <c>user-invokes-agent</c> the resource is the agent being invoked (for any action, as in a direct
/// <c>agent.invoke</c>); in the other legs it is the requested resource. In <c>owner-forbids</c> the subject is the
/// agent's owner; in an agent-only <c>agent-grant</c> it is the agent (no user facts).
/// </summary>
internal sealed class Scope(PolicySnapshot snapshot, DecisionRequest request, DateTimeOffset now, UserFact? user, AgentFact? agent, ResourceView resource)
{
    private Dictionary<string, object?>? _variables;

    public DateTimeOffset Now { get; } = now;
    public UserFact? User { get; } = user;
    public AgentFact? Agent { get; } = agent;
    public ResourceView Resource { get; } = resource;

    public IDictionary<string, object?> Variables => _variables ??= Build();

    private Dictionary<string, object?> Build()
    {
        var subject = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (User is not null)
        {
            foreach (var (k, v) in User.Attributes)
                subject[k] = v;
            subject["groups"] = snapshot.GroupsOf(User.Id).Cast<object?>().ToList();
            subject["enabled"] = User.Enabled;
        }
        subject["id"] = request.Subject.Type == SubjectTypes.User ? request.Subject.Id : User?.Id;
        subject["type"] = User is null ? request.Subject.Type : SubjectTypes.User;
        subject["properties"] = CelValues.FromObject(request.Subject.Properties);

        var agent = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (Agent is not null)
        {
            foreach (var (k, v) in Agent.Attributes)
                agent[k] = v;
            agent["id"] = Agent.Id;
            agent["tags"] = Agent.Tags.Cast<object?>().ToList();
            agent["blueprintId"] = Agent.BlueprintId;
            agent["owner"] = Agent.Owner;
            agent["sponsors"] = Agent.Sponsors.Cast<object?>().ToList();
            agent["source"] = Agent.Source;
        }

        var resource = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (Resource.Id is not null)
        {
            foreach (var (k, v) in Resource.Attributes)
                resource[k] = v;
            resource["id"] = Resource.Id;
            resource["type"] = Resource.Type;
            resource["server"] = Resource.Server;
            resource["sensitivity"] = SensitivityNames.Name(Resource.Sensitivity);
            resource["level"] = (long)Resource.Sensitivity;
            resource["tags"] = Resource.Tags.Cast<object?>().ToList();
        }
        // The request's hints describe the requested resource, not the agent the invoke leg looks at.
        resource["properties"] = Resource.Id == request.Resource.Id && Resource.Type == request.Resource.Type
            ? CelValues.FromObject(request.Resource.Properties)
            : CelValues.FromObject(default);

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["subject"] = subject,
            ["agent"] = agent,
            ["resource"] = resource,
            ["action"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["name"] = request.Action,
                ["properties"] = CelValues.FromObject(request.ActionProperties),
            },
            ["context"] = CelValues.FromObject(request.Context),
            ["now"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["unix"] = Now.ToUnixTimeSeconds(),
                ["hourUtc"] = (long)Now.UtcDateTime.Hour,
                ["dayOfWeek"] = Now.UtcDateTime.DayOfWeek.ToString(),
            },
        };
    }
}

[JsonSerializable(typeof(Dictionary<string, SortedSet<string>>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
