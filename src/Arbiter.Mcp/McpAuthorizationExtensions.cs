using ModelContextProtocol.Server;

namespace Arbiter.Mcp;

public static class McpAuthorizationExtensions
{
    internal const string ItemKey = "Arbiter.Mcp.Authorization";

    /// <summary>
    /// The authorization of this request, set by <c>WithArbiterAuthorization</c> before the handler runs. Throws when
    /// absent: a handler that relies on row filters must never run unauthorized.
    /// </summary>
    public static McpAuthorization GetArbiterAuthorization(this MessageContext context) =>
        context.Items.TryGetValue(ItemKey, out var value) && value is McpAuthorization authorization
            ? authorization
            : throw new InvalidOperationException("This request was not authorized by Arbiter (is WithArbiterAuthorization() configured?)");

    /// <summary>The row filters the handler must apply to its query (all of them, AND-ed).</summary>
    public static IReadOnlyList<RowFilter> GetRowFilters(this MessageContext context) => context.GetArbiterAuthorization().RowFilters;
}
