using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Http;

/// <summary>
/// Thrown where a handler's input cannot be bound (the body is not JSON, too large, ...): the edge answers with
/// <see cref="Problem"/>. Only input binding throws it; handlers return their problems as values.
/// </summary>
public sealed class ProblemException(IResult problem, string message) : Exception(message)
{
    public IResult Problem { get; } = problem;
}
