namespace Arbiter.Client;

/// <summary>
/// One page of a search. A failed search has no results (fail closed: nothing is permitted) and says why in
/// <see cref="Failure"/>/<see cref="Reason"/>, so a caller can tell "nothing permitted" from "could not ask".
/// </summary>
public sealed record SearchResult<T>(IReadOnlyList<T> Results, string? NextToken, DecisionFailure Failure = DecisionFailure.None, string? Reason = null)
{
    public bool Succeeded => Failure == DecisionFailure.None;
}
