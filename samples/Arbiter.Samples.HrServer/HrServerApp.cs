using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Samples.HrServer;

/// <summary>
/// The sample HR MCP server (Streamable HTTP at <c>/mcp</c>): bearer tokens from <see cref="HrServerOptions.Authority"/>,
/// the seed's four tools, and Arbiter deciding every list and call (<c>WithArbiterAuthorization</c>, section <c>Arbiter</c>).
/// </summary>
public static class HrServerApp
{
    public const string SettingsFile = "hrserver.settings.json";

    /// <summary>
    /// The app from <paramref name="args"/> and <paramref name="settings"/> (in that order of precedence, settings last).
    /// <paramref name="enforce"/> false leaves Arbiter out — only for the benchmark's baseline, never configurable.
    /// </summary>
    /// <paramref name="configureServices"/> runs last, so a test can replace a registration (e.g. the decision cache's clock).
    public static WebApplication Create(string[] args, IDictionary<string, string?>? settings = null, bool enforce = true, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // Its own file name (not appsettings.json), so hosts that reference this project keep theirs; first, so the
        // environment and the command line still override it.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = SettingsFile,
            Optional = false,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOptions<HrServerOptions>().Bind(builder.Configuration.GetSection(HrServerOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EmployeeDirectory>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<HrServerOptions>>((jwt, hr) =>
        {
            jwt.Authority = hr.Value.Authority?.ToString().TrimEnd('/');
            jwt.RequireHttpsMetadata = hr.Value.Authority?.IsLoopback != true;
            // Arbiter.Mcp reads Entra's claim names (oid, azp, idtyp) as they are in the token.
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters { ValidAudience = hr.Value.Audience };
        });
        builder.Services.AddAuthorization();

        var mcp = builder.Services.AddMcpServer().WithHttpTransport().WithTools<HrTools>();
        if (enforce)
            mcp.WithArbiterAuthorization(builder.Configuration.GetSection("Arbiter"));

        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMcp("/mcp").RequireAuthorization();
        return app;
    }
}
