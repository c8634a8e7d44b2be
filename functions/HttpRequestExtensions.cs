using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Functions;

/// <summary>What a function hands its handler: the caller the edge authenticated, and the parsed body.</summary>
public static class HttpRequestExtensions
{
    public static Caller Caller(this HttpRequest request) => Api.Security.Caller.Of(request.HttpContext);

    public static Task<JsonInput> JsonAsync(this HttpRequest request, CancellationToken cancellationToken) =>
        JsonInput.ReadAsync(request.HttpContext, cancellationToken);

    /// <summary>The body of an evaluation request, read in one pass when it can be (<see cref="DecisionInput"/>).</summary>
    public static Task<DecisionInput> DecisionInputAsync(this HttpRequest request, CancellationToken cancellationToken) =>
        DecisionInput.ReadAsync(request.HttpContext, cancellationToken);
}
