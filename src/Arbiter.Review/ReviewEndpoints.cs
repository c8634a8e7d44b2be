using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arbiter.Review;

/// <summary>The reviewer page's routes under /review/ (public to the API edge: the page signs its users in itself).</summary>
public static class ReviewEndpoints
{
    public static IEndpointRouteBuilder MapArbiterReview(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup(ReviewHtml.Base).ExcludeFromDescription();
        open.MapGet("/review.css", ReviewAssets.Stylesheet);
        open.MapGet("/signin", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.SignInPageAsync(c, ct));
        open.MapPost("/signin", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.SignInAsync(c, ct));

        var signedIn = app.MapGroup(ReviewHtml.Base).ExcludeFromDescription().AddEndpointFilter(ReviewAuthentication.RequireReviewerAsync);
        signedIn.MapGet("/", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.MyReviewsAsync(c, ct));
        signedIn.MapPost("/signout", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.SignOutAsync(c, ct));
        signedIn.MapGet("/tasks/{id}", (HttpContext c, string id, ReviewHandlers h, CancellationToken ct) => h.TaskAsync(c, id, ct));
        signedIn.MapGet("/tasks/{id}/revoke", (HttpContext c, string id, ReviewHandlers h, CancellationToken ct) => h.ConfirmRevokeAsync(c, id, ct));
        signedIn.MapPost("/tasks/{id}/{decision}", (HttpContext c, string id, string decision, ReviewHandlers h, CancellationToken ct) => h.DecideAsync(c, id, decision, ct));
        signedIn.MapGet("/agents", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.AgentsAsync(c, ct));
        signedIn.MapGet("/agents/{id}/{action}", (HttpContext c, string id, string action, ReviewHandlers h, CancellationToken ct) => h.ConfirmKillSwitchAsync(c, id, action, ct));
        signedIn.MapPost("/agents/{id}/{action}", (HttpContext c, string id, string action, ReviewHandlers h, CancellationToken ct) => h.KillSwitchAsync(c, id, action, ct));
        return app;
    }
}
