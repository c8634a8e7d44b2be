using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Http;

/// <summary>The caller's <c>X-Request-ID</c> is echoed on the response (one is made when absent or unusable).</summary>
public static class RequestIds
{
    public const string Header = "X-Request-ID";

    public static string Echo(HttpContext context)
    {
        var given = context.Request.Headers[Header].ToString();
        var id = given.Length is > 0 and <= 128 && given.All(c => c is > ' ' and < (char)127) ? given : Guid.NewGuid().ToString("n");
        context.Response.Headers[Header] = id;
        return id;
    }
}
