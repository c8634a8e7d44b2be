using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Http;

/// <summary>problem+json answers. Bad input names the field (JSON Pointer in <c>field</c>); internals never leak.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail, string? field = null, IEnumerable<object>? errors = null)
    {
        var extensions = new Dictionary<string, object?>();
        if (field is not null)
            extensions["field"] = field;
        if (errors is not null)
            extensions["errors"] = errors.ToArray();
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", extensions: extensions);
    }

    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    public static ProblemHttpResult Unauthorized(string detail) => Status(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static ProblemHttpResult Forbidden(string detail) => Status(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static ProblemHttpResult NotFound(string detail) => Status(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult PreconditionFailed(string detail) => Status(StatusCodes.Status412PreconditionFailed, "Precondition failed", detail);

    public static ProblemHttpResult Conflict(string detail) => Status(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ProblemHttpResult Unavailable(string detail) => Status(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail);
}
