using Arbiter.Api.Security;
using Arbiter.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Http;

/// <summary>
/// The one pipeline at the edge of both hosts (the ASP.NET Core middleware on the self-hosted server, the worker
/// middleware in the Functions app): the request id, the caller's authentication with the role the route declares,
/// and every exception a handler did not expect mapped to a problem — the store unavailable → 503 with
/// <c>Retry-After</c>, input that cannot be bound → its 4xx, anything else → a 500 problem without internals (logged
/// with its type; the request id correlates). Handlers never repeat any of it.
/// </summary>
public sealed partial class ArbiterEdge(CallerAuthenticator authenticator, IOptions<AuthOptions> auth, ILogger<ArbiterEdge> logger)
{
    /// <summary>Seconds a client should wait before retrying when the store is unavailable.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Before the handler: null to go on (the caller is then on the request), else the problem to answer.</summary>
    public async Task<IResult?> EnterAsync(HttpContext context, CallerRole role, CancellationToken cancellationToken)
    {
        RequestIds.Echo(context);
        if (role == CallerRole.Public)
            return null;
        var name = role == CallerRole.Admin ? auth.Value.AdminRole : auth.Value.EvaluateRole;
        var (caller, error) = await authenticator.AuthenticateAsync(context, name, cancellationToken);
        if (error is not null)
            return error;
        context.Features.Set(caller!);
        return null;
    }

    /// <summary>What to answer for an exception that escaped a handler (or its binding).</summary>
    public IResult Fail(HttpContext context, Exception exception)
    {
        switch (exception)
        {
            case ProblemException p:
                return p.Problem;
            case BadHttpRequestException b:
                return Problems.Status(b.StatusCode, "Invalid request", "the request could not be read: " + b.Message);
            case StoreUnavailableException:
                LogStoreUnavailable(logger, context.Request.Method, context.Request.Path);
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Problems.Unavailable("the store is unavailable; retry later");
            default:
                LogUnexpected(logger, context.Request.Method, context.Request.Path, exception.GetType().Name, exception);
                return TypedResults.Problem("an internal error occurred; the request id identifies it in the logs",
                    statusCode: StatusCodes.Status500InternalServerError, title: "Internal error",
                    extensions: new Dictionary<string, object?> { ["requestId"] = RequestIds.Of(context) });
        }
    }

    [LoggerMessage(EventId = 4501, Level = LogLevel.Warning, Message = "{Method} {Path}: the store is unavailable")]
    private static partial void LogStoreUnavailable(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Error, Message = "{Method} {Path} failed with {ErrorType}")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, string errorType, Exception exception);
}
