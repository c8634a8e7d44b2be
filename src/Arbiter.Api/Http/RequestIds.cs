using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Http;

/// <summary>
/// The caller's <c>X-Request-ID</c> is echoed on the response unchanged when it is visible ASCII (spaces included) of
/// at most <see cref="MaxLength"/> characters; one is made when it is absent or would be unsafe in a header (control
/// characters, non-ASCII, longer).
/// </summary>
public static class RequestIds
{
    public const string Header = "X-Request-ID";

    public const int MaxLength = 512;

    private const string Key = "arbiter.request-id";

    /// <summary>Called once per request by the edge.</summary>
    public static string Echo(HttpContext context)
    {
        if (context.Items[Key] is string existing)
        {
            context.Response.Headers[Header] = existing; // again: a problem answer clears the response first
            return existing;
        }
        var given = context.Request.Headers[Header].ToString();
        var id = Usable(given) ? given : Guid.NewGuid().ToString("n");
        context.Response.Headers[Header] = id;
        context.Items[Key] = id;
        return id;
    }

    public static bool Usable(string given) =>
        given.Length is > 0 and <= MaxLength && given.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0 && given.Trim().Length > 0;

    /// <summary>This request's id (made now if the edge has not run, as in a handler called directly).</summary>
    public static string Of(HttpContext context) => Echo(context);
}
