using System.ComponentModel.DataAnnotations;

namespace Arbiter.Client;

/// <summary>
/// How a policy enforcement point reaches Arbiter (section e.g. <c>Arbiter:Client</c>). Secure by default: no
/// obligation is understood unless declared, the decision cache is off, and every failure is a deny.
/// </summary>
public sealed class ArbiterClientOptions : IValidatableObject
{
    /// <summary>The longest a cached decision may live: the kill switch must act within a second.</summary>
    public static readonly TimeSpan MaxCacheLifetime = TimeSpan.FromSeconds(1);

    /// <summary>Arbiter's base URL (the AuthZEN <c>policy_decision_point</c>), e.g. https://arbiter.example.net/.</summary>
    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// The OAuth scope of the token sent to Arbiter (e.g. <c>api://arbiter/.default</c>), obtained from the registered
    /// <c>TokenCredential</c> (managed identity in Azure). Empty: no token is sent (Arbiter in Development mode on loopback).
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>How long one call may take, retries included; past it the answer is a deny.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Retries after a connection failure (nothing reached Arbiter, so nothing was decided or logged). Every call is
    /// side-effect free, yet a 5xx or a timeout is not retried: the caller is waiting and fails closed instead.
    /// </summary>
    [Range(0, 3)]
    public int MaxRetries { get; set; } = 1;

    /// <summary>How long a single evaluation's answer is reused; zero (the default) turns the cache off. At most 1 s.</summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.Zero;

    /// <summary>The most decisions the cache holds; when full, new answers are not cached.</summary>
    [Range(1, 1_000_000)]
    public int CacheMaxEntries { get; set; } = 10_000;

    /// <summary>
    /// Obligation types this enforcement point honours (e.g. <c>redact</c>, <c>rowFilter</c>). A permit carrying any
    /// other type is turned into a deny. A call may declare its own set instead (<see cref="DecisionCallOptions"/>).
    /// </summary>
    public IList<string> UnderstoodObligations { get; } = [];

    /// <summary>
    /// Ask Arbiter for the explanation with each answer (<c>options.explain</c>): the decision id and the reasons a
    /// denial shows. On by default; off gives Arbiter's minimal answers (decision and obligations only).
    /// </summary>
    public bool Explain { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint is { IsAbsoluteUri: false } || Endpoint is { Scheme: not ("http" or "https") })
            yield return new ValidationResult("Endpoint must be an absolute http(s) URL", [nameof(Endpoint)]);
        else if (Endpoint is { Scheme: "http", IsLoopback: false })
            yield return new ValidationResult("Endpoint must use https unless it is on loopback", [nameof(Endpoint)]);
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromSeconds(30))
            yield return new ValidationResult("Timeout must be positive and at most 30 seconds", [nameof(Timeout)]);
        if (CacheLifetime < TimeSpan.Zero || CacheLifetime > MaxCacheLifetime)
            yield return new ValidationResult("CacheLifetime must be between 0 (off) and 1 second, so a suspended agent is denied within a second", [nameof(CacheLifetime)]);
        if (UnderstoodObligations.Any(string.IsNullOrWhiteSpace))
            yield return new ValidationResult("UnderstoodObligations must not contain empty types", [nameof(UnderstoodObligations)]);
    }
}
