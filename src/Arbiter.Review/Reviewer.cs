using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Review;

/// <summary>
/// Who is signed in to the reviewer page: their tenant, their user id (what tasks list as reviewers, and what the audit
/// records), a name to show, and whether they are an admin. Stored in the page's own cookie, never taken from a form.
/// </summary>
public sealed record Reviewer(string TenantId, string Id, string DisplayName, bool Admin)
{
    public const string TenantClaim = "arbiter/tenant";
    public const string AdminClaim = "arbiter/review-admin";

    public static Reviewer? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
            return null;
        var tenant = principal.FindFirst(TenantClaim)?.Value;
        var id = principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(id))
            return null;
        return new Reviewer(tenant, id, principal.FindFirst(ClaimTypes.Name)?.Value ?? id, principal.HasClaim(AdminClaim, "true"));
    }

    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [
            new Claim(TenantClaim, TenantId),
            new Claim(ClaimTypes.NameIdentifier, Id),
            new Claim(ClaimTypes.Name, DisplayName),
            new Claim(AdminClaim, Admin ? "true" : "false"),
        ], scheme));

    /// <summary>The signed-in reviewer of this request, set by the page's sign-in filter.</summary>
    public static Reviewer Of(HttpContext context) =>
        context.Features.Get<Reviewer>() ?? throw new InvalidOperationException("no signed-in reviewer: the route is outside the signed-in group");

    public static ValueTask<Reviewer?> BindAsync(HttpContext context) => ValueTask.FromResult<Reviewer?>(Of(context));
}
