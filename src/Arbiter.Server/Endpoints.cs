using Arbiter.Api.Decisions;
using Arbiter.Api.Health;

namespace Arbiter.Server;

/// <summary>Maps every route to the shared handlers; the Functions app maps the same routes with HTTP triggers.</summary>
public static class Endpoints
{
    public static WebApplication MapArbiterEndpoints(this WebApplication app)
    {
        app.MapGet("/health", (HttpContext context, HealthEndpoint endpoint) => endpoint.Handle(context));
        app.MapGet("/" + DecisionHandlers.ConfigurationRoute, (HttpContext context, DecisionHandlers h) => h.Configuration(context));
        app.MapPost("/" + DecisionHandlers.EvaluationRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.EvaluateAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.EvaluationsRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.EvaluateBatchAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchSubjectRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchSubjectAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchResourceRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchResourceAsync(context, ct));
        app.MapPost("/" + DecisionHandlers.SearchActionRoute, (HttpContext context, DecisionHandlers h, CancellationToken ct) => h.SearchActionAsync(context, ct));
        return app;
    }
}
