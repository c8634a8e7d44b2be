using System.Collections.Frozen;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Governance.Entitlements;

/// <summary>A resource as a policy's resource selector sees it.</summary>
internal readonly record struct ResourceRef(string Type, string Id, string? Server, Sensitivity Level, FrozenSet<string> Tags)
{
    /// <summary>The checkpoint action for this kind of resource.</summary>
    public string Action => Type switch
    {
        ResourceTypes.Tool => WellKnownActions.ToolsCall,
        ResourceTypes.McpServer => WellKnownActions.ToolsList,
        _ => WellKnownActions.DataRead,
    };

    public static ResourceRef Of(ToolFact tool) => new(ResourceTypes.Tool, tool.Id, tool.Server, tool.Sensitivity, tool.Tags);

    public static ResourceRef Of(McpServerFact server) => new(ResourceTypes.McpServer, server.Id, server.Id, server.Sensitivity, server.Tags);

    public static ResourceRef Of(DataResourceFact data) => new(data.Type, data.Id, null, data.Classification, data.Tags);

    /// <summary>Finds a resource id among tools, servers and data resources (in that order).</summary>
    public static ResourceRef? Find(TenantState state, string id) =>
        state.Tools.TryGetValue(id, out var t) ? Of(t)
        : state.Servers.TryGetValue(id, out var s) ? Of(s)
        : state.DataResources.TryGetValue(id, out var d) ? Of(d)
        : null;
}

/// <summary>The engine's selector rules (<see cref="ResourceSelector.Matches"/>), over the facts governance works with.</summary>
internal static class ResourceMatch
{
    public static bool Matches(ResourceSelector? selector, in ResourceRef resource) =>
        selector is null || selector.Matches(resource.Type, resource.Id, resource.Server, resource.Level, resource.Tags);

    public static bool Matches(AgentSelector? selector, AgentFact agent) =>
        selector is null || selector.Matches(agent.Id, agent.Tags, agent.BlueprintId);

    /// <summary>A grant that names exactly this one agent by id (no tags, blueprints or "any"): disabling it touches no other agent.</summary>
    public static bool IsDedicatedTo(Policy policy, string agentId) =>
        policy.Agents is { Any: false } a && a.Tags.Count == 0 && a.Blueprints.Count == 0 && a.Ids.Count == 1 && a.Ids.Contains(agentId);
}
