using Arbiter.Api.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arbiter.Functions;

/// <summary>
/// Auth:Mode=Development (no authentication) is refused when the app runs in Azure (App Service sets
/// WEBSITE_INSTANCE_ID); locally under Core Tools it is allowed and announced.
/// </summary>
public static class DevelopmentGuard
{
    public static IHostApplicationBuilder AddDevelopmentGuard(this IHostApplicationBuilder builder)
    {
        var inAzure = !string.IsNullOrEmpty(builder.Configuration["WEBSITE_INSTANCE_ID"]);
        builder.Services.AddOptions<AuthOptions>()
            .Validate(auth => auth.Mode != AuthMode.Development || !inAzure,
                "Auth:Mode=Development disables authentication and is refused in Azure; use EntraId")
            .ValidateOnStart();
        return builder;
    }
}
