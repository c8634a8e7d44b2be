namespace Arbiter.Client;

/// <summary>Per-call settings: the caller's request id (echoed into Arbiter's decision log) and the obligations it honours.</summary>
public sealed record DecisionCallOptions
{
    /// <summary>Sent as <c>X-Request-ID</c>, so the decision log ties the decision to the caller's request.</summary>
    public string? RequestId { get; init; }

    /// <summary>Obligation types this call honours; null: <see cref="ArbiterClientOptions.UnderstoodObligations"/>.</summary>
    public IReadOnlySet<string>? UnderstoodObligations { get; init; }
}
