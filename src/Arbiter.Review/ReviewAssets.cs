using Microsoft.AspNetCore.Http;

namespace Arbiter.Review;

/// <summary>The page's one asset, its stylesheet, embedded in the assembly so every host serves it itself.</summary>
public static class ReviewAssets
{
    private static readonly Lazy<byte[]> Css = new(() =>
    {
        using var stream = typeof(ReviewAssets).Assembly.GetManifestResourceStream("Arbiter.Review.review.css")
            ?? throw new InvalidOperationException("the reviewer stylesheet is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IResult Stylesheet(HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=3600";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(Css.Value, "text/css; charset=utf-8");
    }
}
