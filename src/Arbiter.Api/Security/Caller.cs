using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Security;

/// <summary>
/// Who is calling: their tenant (from the token), their id, and their app roles. Set by the edge after
/// authentication; a handler receives it as a parameter (Kestrel binds it with <see cref="BindAsync"/>, a function
/// reads it with <see cref="Of"/>).
/// </summary>
public sealed record Caller(string TenantId, string Id, IReadOnlySet<string> Roles)
{
    /// <summary>The authenticated caller of this request. A route that reaches a handler without one is a wiring bug.</summary>
    public static Caller Of(HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("no authenticated caller: the route declares no role");

    public static ValueTask<Caller?> BindAsync(HttpContext context) => ValueTask.FromResult<Caller?>(Of(context));

    /// <summary>
    /// The caller of a route whose path names a tenant (<c>/{tenant}/access/v1/...</c>, AuthZEN's per-tenant PDP
    /// identifier): the path must name the caller's own tenant — it selects nothing, it only has to agree with the token.
    /// </summary>
    public static Caller InTenant(HttpContext context, string tenant)
    {
        var caller = Of(context);
        return string.Equals(caller.TenantId, tenant, StringComparison.Ordinal)
            ? caller
            : throw new Http.ProblemException(Http.Problems.NotFound($"tenant '{tenant}' is not the caller's tenant"), "the path names another tenant");
    }
}
