using System.Security.Claims;
using Arbiter.Client;

namespace Arbiter.Mcp;

/// <summary>Maps a validated token's claims to an <see cref="McpCaller"/> (rules on <see cref="CallerMappingOptions"/>).</summary>
public static class McpCallerMapper
{
    /// <summary>The caller, or why the token cannot be mapped (then the request is refused).</summary>
    public static (McpCaller? Caller, string? Refusal) Map(ClaimsPrincipal? user, CallerMappingOptions options)
    {
        if (user?.Identity?.IsAuthenticated != true)
            return (null, "the request carries no authenticated token");
        var agentClaim = options.EffectiveAgentClaims.Select(name => Value(user, name)).FirstOrDefault(v => v is not null);
        if (agentClaim is null)
            return (null, $"the token names no agent (none of {string.Join(", ", options.EffectiveAgentClaims)})");
        if (options.RequireAgentIdentityMarker && !options.EffectiveMarkerClaims.Any(name => Value(user, name) is not null))
            return (null, "the token is not an agent identity's token");
        var agentId = options.AgentIds.TryGetValue(agentClaim, out var mapped) ? mapped : agentClaim;

        if (string.Equals(Value(user, options.AppOnlyClaim), options.AppOnlyValue, StringComparison.OrdinalIgnoreCase))
            return (new McpCaller(new Subject(options.AgentType, agentId), agentId, AgentOnly: true), null);

        var userId = Value(user, options.UserClaim);
        if (userId is null)
            return (null, $"the delegated token names no user ('{options.UserClaim}')");
        return (new McpCaller(new Subject(options.UserType, userId), agentId, AgentOnly: false), null);
    }

    private static string? Value(ClaimsPrincipal user, string type) =>
        user.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
}
