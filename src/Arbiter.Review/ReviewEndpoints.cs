using Arbiter.Api.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arbiter.Review;

/// <summary>
/// The reviewer page's routes under /review/: public to the API edge (no bearer token; the page signs its users in
/// itself with its cookie). The Functions app maps the same table (functions/Review/ReviewFunctions.cs).
/// </summary>
public static class ReviewEndpoints
{
    public static IEndpointRouteBuilder MapArbiterReview(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup(ReviewHtml.Base).ExcludeFromDescription().WithMetadata(new RequiresRoleAttribute(CallerRole.Public));
        open.MapGet("/review.css", ReviewAssets.Stylesheet);
        open.MapGet("/signin", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.SignInPageAsync(c, ct));
        open.MapPost("/signin", (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.SignInAsync(c, ct));
        open.MapGet("/signin/entra", (HttpContext c) => ReviewEntraId.Challenge(c));
        open.MapPost("/signin-oidc", (HttpContext c, CancellationToken _) => ReviewEntraId.CallbackAsync(c));

        var signedIn = app.MapGroup(ReviewHtml.Base).ExcludeFromDescription().WithMetadata(new RequiresRoleAttribute(CallerRole.Public))
            .AddEndpointFilter(ReviewAuthentication.RequireReviewerAsync);
        // Outside the group: a group's empty route reads "/review/", and the Functions app's table says "review".
        app.MapGet(ReviewHtml.Base, (HttpContext c, ReviewHandlers h, CancellationToken ct) => h.MyReviewsAsync(c, ct))
            .ExcludeFromDescription().WithMetadata(new RequiresRoleAttribute(CallerRole.Public)).AddEndpointFilter(ReviewAuthentication.RequireReviewerAsync);
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
