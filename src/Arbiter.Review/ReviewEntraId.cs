using System.Security.Claims;
using Arbiter.Api.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Arbiter.Review;

/// <summary>
/// Entra ID sign-in for the reviewer page (OpenID Connect through Microsoft.Identity.Web), on when <c>Auth:Mode</c> is
/// EntraId and <c>Review:EntraId:ClientId</c> is set (with <c>Instance</c> and <c>TenantId</c>, as Identity.Web reads
/// them). Sign-in only: the ID token comes back by form post to <see cref="CallbackPath"/>, no client secret, no token
/// kept. The signed-in user becomes a <see cref="Reviewer"/> (tenant = <c>tid</c>, id = <c>oid</c>, admin with the
/// app role <c>Auth:AdminRole</c> or when listed in <c>Review:Admins</c>) in the page's own cookie.
/// </summary>
public static class ReviewEntraId
{
    public const string Scheme = "Arbiter.Review.EntraId";
    public const string Section = "Review:EntraId";
    public const string CallbackPath = ReviewHtml.Base + "/signin-oidc";

    public static bool IsConfigured(IConfiguration configuration) =>
        configuration.GetValue<AuthMode>($"{AuthOptions.Section}:{nameof(AuthOptions.Mode)}") == AuthMode.EntraId
        && !string.IsNullOrWhiteSpace(configuration[$"{Section}:ClientId"]);

    public static void Add(IServiceCollection services, IConfiguration configuration)
    {
        services.AddAuthentication().AddMicrosoftIdentityWebApp(configuration.GetSection(Section), Scheme, cookieScheme: null);
        services.AddOptions<OpenIdConnectOptions>(Scheme).Configure<IOptions<AuthOptions>, IOptions<ReviewOptions>>((oidc, auth, review) =>
        {
            oidc.SignInScheme = ReviewAuthentication.Scheme;
            oidc.CallbackPath = CallbackPath;
            oidc.SignedOutCallbackPath = ReviewHtml.Base + "/signout-oidc";
            oidc.ResponseType = OpenIdConnectResponseType.IdToken;
            oidc.ResponseMode = OpenIdConnectResponseMode.FormPost;
            oidc.SaveTokens = false;
            var validated = oidc.Events.OnTokenValidated;
            oidc.Events.OnTokenValidated = async context =>
            {
                await validated(context);
                if (ToReviewer(context.Principal, auth.Value.AdminRole, review.Value.Admins) is { } reviewer)
                    context.Principal = reviewer.ToPrincipal(ReviewAuthentication.Scheme);
                else
                    context.Fail("the ID token names no tenant (tid) or user (oid)");
            };
            oidc.Events.OnRemoteFailure = async context =>
            {
                // A callback that is not a valid sign-in answer (tampered, replayed, expired) is the caller's problem, not a 500.
                context.HandleResponse();
                await ReviewHtml.Problem(context.HttpContext, null, StatusCodes.Status400BadRequest, "Sign-in failed",
                    "the sign-in answer from Entra ID was not valid; sign in again").ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>The reviewer an Entra ID user is: null without a tenant or object id.</summary>
    public static Reviewer? ToReviewer(ClaimsPrincipal? principal, string adminRole, IReadOnlyCollection<string> admins)
    {
        var tenant = principal?.GetTenantId();
        var id = principal?.GetObjectId();
        if (principal is null || string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(id))
            return null;
        var admin = principal.IsInRole(adminRole) || principal.HasClaim("roles", adminRole) || admins.Contains(id, StringComparer.Ordinal);
        return new Reviewer(tenant, id, principal.GetDisplayName() ?? principal.FindFirst("preferred_username")?.Value ?? id, admin);
    }

    /// <summary>GET /review/signin/entra: off to Entra ID, back to a page of this area.</summary>
    public static IResult Challenge(HttpContext context)
    {
        var configuration = (IConfiguration)context.RequestServices.GetService(typeof(IConfiguration))!;
        if (!IsConfigured(configuration))
            return ReviewHtml.Problem(context, null, StatusCodes.Status404NotFound, "Not configured", $"Entra ID sign-in is not configured: set {Section}:Instance, :TenantId and :ClientId in EntraId mode");
        var back = ReviewHandlers.LocalReturnPath(context.Request.Query["returnUrl"]);
        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = back }, [Scheme]);
    }

    /// <summary>POST /review/signin-oidc: the ID token's form post, handled by the OpenID Connect handler (as the authentication middleware would).</summary>
    public static async Task<IResult> CallbackAsync(HttpContext context)
    {
        var configuration = (IConfiguration)context.RequestServices.GetService(typeof(IConfiguration))!;
        if (IsConfigured(configuration)
            && await ((IAuthenticationHandlerProvider)context.RequestServices.GetService(typeof(IAuthenticationHandlerProvider))!).GetHandlerAsync(context, Scheme) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync())
        {
            return TypedResults.Empty;
        }
        return ReviewHtml.Problem(context, null, StatusCodes.Status404NotFound, "Not found", "no Entra ID sign-in is under way");
    }
}
