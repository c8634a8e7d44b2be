using Arbiter.Api.Security;
using Microsoft.Extensions.Options;

namespace Arbiter.Server;

/// <summary>
/// Running without authentication must be asked for (<c>Auth:Mode=Development</c>), is refused unless every listening
/// address is loopback, and is announced loudly.
/// </summary>
public static partial class DevelopmentGuard
{
    public static bool Check(WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Mode != AuthMode.Development)
            return true;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arbiter.Security");
        var urls = (app.Configuration["urls"] ?? app.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var exposed = urls.Where(u => !IsLoopback(u)).ToArray();
        if (exposed.Length > 0)
        {
            var addresses = string.Join(", ", exposed);
            LogRefused(logger, addresses);
            return false;
        }
        LogDevelopmentMode(logger, auth.DevelopmentTenant!);
        return true;
    }

    public static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            return false;
        return uri.Host == "localhost" || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Critical, Message = "REFUSING TO START: Auth:Mode=Development (no authentication) may only listen on loopback, but these addresses are not: {Addresses}")]
    private static partial void LogRefused(ILogger logger, string addresses);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "!!! AUTHENTICATION IS OFF (Auth:Mode=Development): every local caller is an admin of tenant '{Tenant}'. Never run like this outside a developer machine. !!!")]
    private static partial void LogDevelopmentMode(ILogger logger, string tenant);
}
