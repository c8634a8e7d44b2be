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
}
