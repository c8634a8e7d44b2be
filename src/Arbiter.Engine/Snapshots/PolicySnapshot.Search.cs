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
            _ when FactReader.DataResourceTypes.Contains(resourceType) => State.DataResources.Values.Where(d => d.Type == resourceType).Select(d => d.Id),
            _ => [],
        };
        return [.. candidates.Order(StringComparer.Ordinal)
            .Where(id => IsPermitted(new DecisionRequest(subject, action, new Entity(resourceType, id), agentId, context)))];
    }

    /// <summary>The subjects of <paramref name="subjectType"/> ("user" or "agent") that may do <paramref name="action"/> on <paramref name="resource"/>, in id order.</summary>
    public IReadOnlyList<string> SearchSubjects(string subjectType, string action, Entity resource, string? agentId, JsonElement context = default)
    {
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
