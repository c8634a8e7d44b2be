using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Review;

/// <summary>
/// The page frame and the encoding helpers: every value that came from data goes through <see cref="E"/>; every form
/// carries the anti-forgery field; every page is sent with a strict content security policy (only Arbiter's own
/// stylesheet, no script, forms post only to Arbiter) and is never cached.
/// </summary>
public static class ReviewHtml
{
    public const string Base = "/review";

    /// <summary>HTML-encodes text for element content and quoted attributes.</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>A route under /review/ with its segments escaped.</summary>
    public static string Link(params string[] segments) => Base + "/" + string.Join('/', segments.Select(Uri.EscapeDataString));

    public static string When(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The hidden anti-forgery field for a form on this page (the cookie half is set on the response).</summary>
    public static string Token(HttpContext context)
    {
        var antiforgery = (IAntiforgery)context.RequestServices.GetService(typeof(IAntiforgery))!;
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    public static IResult Page(HttpContext context, string title, Reviewer? reviewer, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" · Arbiter reviews</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Base).Append("/review.css\"></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">Skip to content</a><header><nav aria-label=\"Reviewer\"><a class=\"brand\" href=\"").Append(Base).Append("/\">Arbiter reviews</a>");
        if (reviewer is not null)
        {
            html.Append("<a href=\"").Append(Base).Append("/\">My reviews</a>");
            if (reviewer.Admin)
                html.Append("<a href=\"").Append(Base).Append("/agents\">Agents</a>");
            html.Append("<form method=\"post\" action=\"").Append(Base).Append("/signout\" class=\"signout\">").Append(Token(context))
                .Append("<span>Signed in as <strong>").Append(E(reviewer.DisplayName)).Append("</strong>").Append(reviewer.Admin ? " (admin)" : "").Append("</span>")
                .Append("<button type=\"submit\">Sign out</button></form>");
        }
        html.Append("</nav></header><main id=\"main\" tabindex=\"-1\"><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A page that says what went wrong, naming the field when one was at fault.</summary>
    public static IResult Problem(HttpContext context, Reviewer? reviewer, int status, string title, string detail, string? field = null) =>
        Page(context, title, reviewer,
            $"<p class=\"error\" role=\"alert\"{(field is null ? "" : $" data-field=\"{E(field)}\"")}>{E(detail)}</p><p><a href=\"{Base}/\">Back to my reviews</a></p>", status);

    /// <summary>303 to a page of this area (after a form post, so a reload does not post again).</summary>
    public static IResult SeeOther(string location) => new SeeOtherResult(location);

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            httpContext.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }
    }
}
