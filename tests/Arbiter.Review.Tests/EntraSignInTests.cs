using System.Net;
using System.Security.Claims;
using Arbiter.Api.Security;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Arbiter.Review.Tests;

/// <summary>
/// Entra ID sign-in as far as it goes without Entra: the server in EntraId mode with <c>Review:EntraId</c> set, its
/// OpenID Connect metadata held locally (no network), so the challenge, the callback's refusal of a forged answer and
/// the mapping of an ID token's claims to a reviewer are checked for real.
/// </summary>
public sealed class EntraSignInTests(EntraSignInTests.EntraSite site) : IClassFixture<EntraSignInTests.EntraSite>
{
    public const string EntraTenant = "7d1c5b7e-0000-4000-8000-00000000a001";
    public const string ClientId = "0c5f6f4d-0000-4000-8000-00000000c11e";
    public const string AuthorizeEndpoint = $"https://login.microsoftonline.com/{EntraTenant}/oauth2/v2.0/authorize";

    public sealed class EntraSite : ReviewSiteBase
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Auth:Mode"] = "EntraId";
            settings.Remove("Auth:DevelopmentTenant");
            settings["Auth:Authority"] = $"https://login.microsoftonline.com/{EntraTenant}/v2.0";
            settings["Auth:Audience"] = "api://arbiter-tests";
            settings["Review:EntraId:Instance"] = "https://login.microsoftonline.com/";
            settings["Review:EntraId:TenantId"] = EntraTenant;
            settings["Review:EntraId:ClientId"] = ClientId;
            settings["Governance:Schedule:DriftSeconds"] = "0";
            return settings;
        }

        protected override void ConfigureServices(IServiceCollection services) =>
            services.PostConfigure<OpenIdConnectOptions>(ReviewEntraId.Scheme, o =>
            {
                o.Configuration = new OpenIdConnectConfiguration { AuthorizationEndpoint = AuthorizeEndpoint, Issuer = $"https://login.microsoftonline.com/{EntraTenant}/v2.0" };
                o.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(o.Configuration);
            });
    }

    [Fact]
    public async Task SignInPage_EntraIdMode_OffersEntraAndNoUserChooser()
    {
        var html = await site.Client.GetStringAsync("/review/signin");
        Assert.Contains("id=\"entra\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"user\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Challenge_Configured_RedirectsToEntraAuthorizeForAnIdTokenByFormPost()
    {
        using var response = await site.Client.GetAsync("/review/signin/entra?returnUrl=%2Freview%2Fagents");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(AuthorizeEndpoint + "?", location.ToString(), StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        Assert.Equal(ClientId, query["client_id"]);
        Assert.Equal(new Uri(site.BaseAddress, "/review/signin-oidc").ToString(), query["redirect_uri"]);
        Assert.Equal("id_token", query["response_type"]);
        Assert.Equal("form_post", query["response_mode"]);
        Assert.Contains("openid", query["scope"]!.Split(' '));
        Assert.False(string.IsNullOrEmpty(query["nonce"]));
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Callback_ForgedAnswer_Refused400NotA500()
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["id_token"] = "not.a.token", ["state"] = "forged" });
        using var response = await site.Client.PostAsync("/review/signin-oidc", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith(ReviewAuthentication.CookieName + "=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DevelopmentSignIn_EntraIdMode_NotFound()
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = "carol" });
        using var response = await site.Client.PostAsync("/review/signin", content);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void ToReviewer_IdTokenClaims_TenantObjectIdNameAndAdminRole()
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("http://schemas.microsoft.com/identity/claims/tenantid", EntraTenant),
            new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid-carol"),
            new Claim("name", "Carol"),
            new Claim(ClaimTypes.Role, new AuthOptions().AdminRole),
        ], "oidc", "name", ClaimTypes.Role));

        var reviewer = ReviewEntraId.ToReviewer(principal, new AuthOptions().AdminRole, []);

        Assert.Equal(new Reviewer(EntraTenant, "oid-carol", "Carol", Admin: true), reviewer);
        Assert.False(ReviewEntraId.ToReviewer(principal, "Another.Role", [])!.Admin);
        Assert.True(ReviewEntraId.ToReviewer(principal, "Another.Role", ["oid-carol"])!.Admin);
        Assert.Null(ReviewEntraId.ToReviewer(new ClaimsPrincipal(new ClaimsIdentity([new Claim("name", "no ids")], "oidc")), "x", []));
    }
}
