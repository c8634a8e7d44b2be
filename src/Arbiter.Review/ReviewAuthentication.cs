using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Review;

/// <summary>
/// The page's own cookie (path /review, HttpOnly, SameSite=Lax, Secure over HTTPS): set by the sign-in, read by the
/// filter on the signed-in routes, which puts the <see cref="Reviewer"/> on the request or sends the browser to sign in.
/// </summary>
public static class ReviewAuthentication
{
    public const string Scheme = "Arbiter.Review";
    public const string CookieName = "arbiter-review";

    public static async ValueTask<object?> RequireReviewerAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var result = await context.AuthenticateAsync(Scheme);
        if ((result.Succeeded ? Reviewer.From(result.Principal) : null) is not { } reviewer)
        {
            var back = HttpMethods.IsGet(context.Request.Method) ? context.Request.Path + context.Request.QueryString : ReviewHtml.Base + "/";
            return ReviewHtml.SeeOther(ReviewHtml.Base + "/signin?returnUrl=" + Uri.EscapeDataString(ReviewHandlers.LocalReturnPath(back)));
        }
        // The anti-forgery tokens are bound to this user: a form rendered for one reviewer does not post for another.
        context.User = result.Principal!;
        context.Features.Set(reviewer);
        return await next(invocation);
    }
}
