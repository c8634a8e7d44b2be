namespace Arbiter.Mcp;

/// <summary>A row filter a permit requires: the handler must apply <see cref="Filter"/> to its query.</summary>
public sealed record RowFilter(string Id, string Filter);
