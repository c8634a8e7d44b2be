using Arbiter.Api.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Arbiter.Server;

/// <summary>
/// Running without authentication must be asked for (<c>Auth:Mode=Development</c>), is refused unless every listening
/// address is loopback, and is announced loudly. Checked twice: before start, over every setting that can add an
/// address (urls, http_ports, https_ports, Kestrel endpoints); after start, over the addresses actually bound.
/// </summary>
public static partial class DevelopmentGuard
{
    public static bool IsDevelopment(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Mode == AuthMode.Development;

    /// <summary>Before start: the configured addresses (refuses only; the warning comes once, from <see cref="CheckBound"/>).</summary>
    public static bool Check(WebApplication app)
    {
        if (!IsDevelopment(app))
            return true;
        var config = app.Configuration;
        var urls = new List<string>();
        foreach (var key in new[] { "urls", "ASPNETCORE_URLS" })
            urls.AddRange((config[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var key in new[] { "http_ports", "https_ports", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS" })
        {
            // Ports alone bind every interface.
            urls.AddRange((config[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"));
        }
        urls.AddRange(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return Verdict(app, urls, announce: false);
    }

    /// <summary>After start: the addresses the server really listens on.</summary>
    public static bool CheckBound(WebApplication app)
    {
        if (!IsDevelopment(app))
            return true;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return Verdict(app, addresses, announce: true);
    }

    private static bool Verdict(WebApplication app, IEnumerable<string> urls, bool announce)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arbiter.Security");
        var exposed = urls.Where(u => !IsLoopback(u)).ToArray();
        if (exposed.Length > 0)
        {
            var addresses = string.Join(", ", exposed);
            LogRefused(logger, addresses);
            return false;
        }
        if (announce)
            LogDevelopmentMode(logger, app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.DevelopmentTenant!);
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
