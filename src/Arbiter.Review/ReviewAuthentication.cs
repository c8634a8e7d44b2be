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

    /// <summary>The endpoint filter of the signed-in routes on the self-hosted server.</summary>
    public static async ValueTask<object?> RequireReviewerAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        await EnterAsync(invocation.HttpContext) ?? await next(invocation);

    /// <summary>
    /// Null when a reviewer is signed in (then they are on the request: <see cref="Reviewer.Of"/>), else the redirect
    /// to sign in. The Functions app calls it in each signed-in function; the server through the filter.
    /// </summary>
    public static async Task<IResult?> EnterAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(Scheme);
        if ((result.Succeeded ? Reviewer.From(result.Principal) : null) is not { } reviewer)
        {
            var back = HttpMethods.IsGet(context.Request.Method) ? context.Request.Path + context.Request.QueryString : ReviewHtml.Base + "/";
            return ReviewHtml.SeeOther(ReviewHtml.Base + "/signin?returnUrl=" + Uri.EscapeDataString(ReviewHandlers.LocalReturnPath(back)));
        }
        // The anti-forgery tokens are bound to this user: a form rendered for one reviewer does not post for another.
        context.User = result.Principal!;
        context.Features.Set(reviewer);
        return null;
    }

    /// <summary>Runs <paramref name="handler"/> for a signed-in reviewer, else answers the redirect to sign in.</summary>
    public static async Task<IResult> SignedInAsync(HttpContext context, Func<Task<IResult>> handler) =>
        await EnterAsync(context) ?? await handler();
}
