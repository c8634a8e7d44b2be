using Arbiter.Governance.Reviews;
using Arbiter.Review;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>
    /// The reviewer page over governance (needs <c>AddArbiterGovernanceApi</c>): its options (section <c>Review</c>,
    /// validated at start), its sign-in cookie, anti-forgery and handlers.
    /// </summary>
    public static IHostApplicationBuilder AddArbiterReview(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ReviewOptions>().Bind(builder.Configuration.GetSection(ReviewOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication().AddCookie(ReviewAuthentication.Scheme, _ => { });
        services.AddOptions<CookieAuthenticationOptions>(ReviewAuthentication.Scheme).Configure<IOptions<ReviewOptions>>((cookie, review) =>
        {
            cookie.Cookie.Name = ReviewAuthentication.CookieName;
            cookie.Cookie.Path = ReviewHtml.Base;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(review.Value.SessionMinutes);
            cookie.SlidingExpiration = true;
        });
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "arbiter-review-af";
            options.Cookie.Path = ReviewHtml.Base;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "__RequestVerificationToken";
        });
        if (ReviewEntraId.IsConfigured(builder.Configuration))
            ReviewEntraId.Add(services, builder.Configuration);
        services.TryAddSingleton<AgentReviews>();
        services.TryAddSingleton<ReviewHandlers>();
        return builder;
    }
}
