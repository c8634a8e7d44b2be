using Arbiter.Mcp;

namespace Arbiter.Samples.HrServer;

/// <summary>A row filter the directory cannot apply exactly; the tool refuses rather than return unfiltered rows.</summary>
public sealed class UnsupportedRowFilterException(RowFilter filter) : Exception($"row filter '{filter.Id}' cannot be applied: {filter.Filter}")
{
    public RowFilter Filter { get; } = filter;
}
