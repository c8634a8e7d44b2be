using System.Collections.Concurrent;

namespace Arbiter.Gateway;

/// <summary>
/// What this gateway instance last learned about each upstream tool's definition: the definition's JSON and its state.
/// A list whose tools all match a pinned entry skips the round trip to Arbiter; a call to a tool last seen
/// <c>changed</c> is blocked without waiting for the next list.
/// </summary>
public sealed class ToolPinCache
{
    private readonly ConcurrentDictionary<(string Upstream, string Tool), (string Definition, string State)> _entries = new();

    public bool IsChanged(string upstream, string tool) =>
        _entries.TryGetValue((upstream, tool), out var entry) && entry.State == "changed";

    public bool IsKnownPinned(string upstream, string tool, string definition) =>
        _entries.TryGetValue((upstream, tool), out var entry) && entry.State == "pinned" && string.Equals(entry.Definition, definition, StringComparison.Ordinal);

    public void Set(string upstream, string tool, string definition, string state) => _entries[(upstream, tool)] = (definition, state);
}
