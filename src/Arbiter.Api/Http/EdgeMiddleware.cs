using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Http;

/// <summary>
/// <see cref="ArbiterEdge"/> as ASP.NET Core middleware (after routing, so the endpoint's declared role is known).
/// An unmatched route passes through as Public (404 from routing).
/// </summary>
public static class EdgeMiddleware
{
    public static IApplicationBuilder UseArbiterEdge(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var edge = context.RequestServices.GetRequiredService<ArbiterEdge>();
        var role = context.GetEndpoint()?.Metadata.GetMetadata<RequiresRoleAttribute>()?.Role ?? CallerRole.Public;
        try
        {
            if (await edge.EnterAsync(context, role, context.RequestAborted) is { } refused)
            {
                await refused.ExecuteAsync(context);
                return;
            }
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nobody is left to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            RequestIds.Echo(context);
            await edge.Fail(context, e).ExecuteAsync(context);
        }
    });
}
