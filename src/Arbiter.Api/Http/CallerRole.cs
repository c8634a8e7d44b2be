namespace Arbiter.Api.Http;

/// <summary>What a route asks of its caller; the edge authenticates accordingly before the handler runs.</summary>
public enum CallerRole
{
    /// <summary>No authentication (metadata, health: they name endpoints and states, not data).</summary>
    Public,

    /// <summary>The app role <c>Auth:EvaluateRole</c> (AuthZEN evaluations and searches).</summary>
    Evaluate,

    /// <summary>The app role <c>Auth:AdminRole</c> (the manage/v1 API).</summary>
    Admin,
}

/// <summary>
/// Declares a route group's caller role once: on a Functions class (read by the worker middleware) or as endpoint
/// metadata on a Kestrel route group (read by the ASP.NET Core middleware).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresRoleAttribute(CallerRole role) : Attribute
{
    public CallerRole Role { get; } = role;
}
