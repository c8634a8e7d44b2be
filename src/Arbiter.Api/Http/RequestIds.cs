using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Http;

/// <summary>The caller's <c>X-Request-ID</c> is echoed on the response (one is made when absent or unusable).</summary>
public static class RequestIds
{
    public const string Header = "X-Request-ID";

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
        var id = given.Length is > 0 and <= 128 && given.All(c => c is > ' ' and < (char)127) ? given : Guid.NewGuid().ToString("n");
        context.Response.Headers[Header] = id;
        context.Items[Key] = id;
        return id;
    }

    /// <summary>This request's id (made now if the edge has not run, as in a handler called directly).</summary>
    public static string Of(HttpContext context) => Echo(context);
}
