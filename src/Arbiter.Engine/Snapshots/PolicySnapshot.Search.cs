using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Search answers "who / what / which actions would be permitted". Each candidate is decided by the same evaluation
/// as a single request, so search can never disagree with evaluation; candidates come from the directory.
/// </summary>
public sealed partial class PolicySnapshot
{
    /// <summary>The resources of <paramref name="resourceType"/> that <paramref name="subject"/> (through <paramref name="agentId"/>) may act on, in id order.</summary>
    public IReadOnlyList<string> SearchResources(Entity subject, string? agentId, string action, string resourceType, JsonElement context = default)
    {
        IEnumerable<string> candidates = resourceType switch
        {
            ResourceTypes.Tool => State.Tools.Keys,
            ResourceTypes.McpServer => State.Servers.Keys,
            ResourceTypes.Agent => State.Agents.Keys,
            ResourceTypes.User => State.Users.Keys,
            // Any other type: the directory's resources of that type (request-supplied ones cannot be enumerated).
            _ => State.DataResources.Values.Where(d => d.Type == resourceType).Select(d => d.Id),
        };
        return [.. candidates.Order(StringComparer.Ordinal)
            .Where(id => IsPermitted(new DecisionRequest(subject, action, new Entity(resourceType, id), agentId, context)))];
    }

    /// <summary>
    /// The registered subjects of <paramref name="subjectType"/> (users, or agents; an alias such as <c>identity</c>
    /// applies) that may do <paramref name="action"/> on <paramref name="resource"/>, in id order.
    /// </summary>
    public IReadOnlyList<string> SearchSubjects(string subjectType, string action, Entity resource, string? agentId, JsonElement context = default)
    {
        subjectType = State.Settings.SubjectType(subjectType);
        IEnumerable<string> candidates = subjectType switch
        {
            SubjectTypes.User => State.Users.Keys,
            SubjectTypes.Agent => State.Agents.Keys,
            _ => [],
        };
        return [.. candidates.Order(StringComparer.Ordinal)
            .Where(id => IsPermitted(new DecisionRequest(new Entity(subjectType, id), action, resource, agentId, context)))];
    }

    /// <summary>The actions <paramref name="subject"/> may take on <paramref name="resource"/>, in name order.</summary>
    public IReadOnlyList<string> SearchActions(Entity subject, string? agentId, Entity resource, JsonElement context = default) =>
        [.. KnownActions.Where(action => IsPermitted(new DecisionRequest(subject, action, resource, agentId, context)))];
}
