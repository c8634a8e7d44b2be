using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>A resource resolved ahead of time: its view with ordinals, or why requests for it are denied.</summary>
internal readonly record struct Resolved(ResourceView View, string? Problem);

/// <summary>Tools and data resources resolved once per snapshot, so a decision finds its resource with one lookup.</summary>
internal sealed record ResolvedResources(TenantState Source, PolicyIndex Index, ShardedTable<Resolved> Tools, FrozenDictionary<string, Resolved> Data)
{
    public static ResolvedResources For(TenantState state, PolicyIndex index, ResolvedResources? previous)
    {
        if (previous is not null && ReferenceEquals(previous.Index, index) && ReferenceEquals(previous.Source.Tools, state.Tools)
            && ReferenceEquals(previous.Source.Servers, state.Servers) && ReferenceEquals(previous.Source.DataResources, state.DataResources))
            return previous with { Source = state };
        var tools = ShardedTable<Resolved>.From([.. state.Tools.Values.Select(t => new KeyValuePair<string, Resolved>(t.Id, new Resolved(
            index.Resources.Indexed(new ResourceView(ResourceTypes.Tool, t.Id, t.Server, t.Sensitivity, t.Tags, t.Attributes) { TypeBit = ResourceTypeBits.Tool }),
            state.Servers.ContainsKey(t.Server) ? null : $"tool '{t.Id}' belongs to unknown MCP server '{t.Server}'")))], compactKeys: true);
        var data = state.DataResources.Values.ToFrozenDictionary(d => d.Id, d => new Resolved(
            index.Resources.Indexed(new ResourceView(d.Type, d.Id, null, d.Classification, d.Tags, d.Attributes) { TypeBit = ResourceTypeBits.Of(d.Type) }),
            null), StringComparer.Ordinal);
        return new ResolvedResources(state, index, tools, data);
    }
}
