using Arbiter.Api.Http;
using Arbiter.Review;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Review;

/// <summary>
/// The reviewer page (<c>/review/</c>) over HTTP: public to the edge (no bearer token), the page's own cookie sign-in
/// checked by <see cref="ReviewAuthentication.SignedInAsync"/> in every signed-in function, as the server's route filter does.
/// </summary>
[RequiresRole(CallerRole.Public)]
public sealed class ReviewFunctions(ReviewHandlers handlers)
{
    [Function("ReviewStylesheet")]
    public static IResult Stylesheet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/review.css")] HttpRequest request) =>
        ReviewAssets.Stylesheet(request.HttpContext);

    [Function("ReviewSignInPage")]
    public Task<IResult> SignInPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/signin")] HttpRequest request, CancellationToken ct) =>
        handlers.SignInPageAsync(request.HttpContext, ct);

    [Function("ReviewSignIn")]
    public Task<IResult> SignIn([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "review/signin")] HttpRequest request, CancellationToken ct) =>
        handlers.SignInAsync(request.HttpContext, ct);

    [Function("ReviewSignInEntra")]
    public static IResult SignInEntra([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/signin/entra")] HttpRequest request) =>
        ReviewEntraId.Challenge(request.HttpContext);

    [Function("ReviewSignInCallback")]
    public static Task<IResult> SignInCallback([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "review/signin-oidc")] HttpRequest request) =>
        ReviewEntraId.CallbackAsync(request.HttpContext);

    [Function("ReviewHome")]
    public Task<IResult> Home([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review")] HttpRequest request, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.MyReviewsAsync(request.HttpContext, ct));

    [Function("ReviewSignOut")]
    public Task<IResult> SignOut([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "review/signout")] HttpRequest request, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.SignOutAsync(request.HttpContext, ct));

    [Function("ReviewTask")]
    public Task<IResult> Task([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/tasks/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.TaskAsync(request.HttpContext, id, ct));

    [Function("ReviewConfirmRevoke")]
    public Task<IResult> ConfirmRevoke([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/tasks/{id}/revoke")] HttpRequest request, string id, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.ConfirmRevokeAsync(request.HttpContext, id, ct));

    [Function("ReviewDecide")]
    public Task<IResult> Decide([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "review/tasks/{id}/{decision}")] HttpRequest request, string id, string decision, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.DecideAsync(request.HttpContext, id, decision, ct));

    [Function("ReviewAgents")]
    public Task<IResult> Agents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/agents")] HttpRequest request, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.AgentsAsync(request.HttpContext, ct));

    [Function("ReviewConfirmKillSwitch")]
    public Task<IResult> ConfirmKillSwitch([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "review/agents/{id}/{action}")] HttpRequest request, string id, string action, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.ConfirmKillSwitchAsync(request.HttpContext, id, action, ct));

    [Function("ReviewKillSwitch")]
    public Task<IResult> KillSwitch([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "review/agents/{id}/{action}")] HttpRequest request, string id, string action, CancellationToken ct) =>
        ReviewAuthentication.SignedInAsync(request.HttpContext, () => handlers.KillSwitchAsync(request.HttpContext, id, action, ct));
}
