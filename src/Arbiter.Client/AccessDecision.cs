namespace Arbiter.Client;

/// <summary>
/// An answer a caller enforces: a permit (with its obligations) or a deny with a reason. Anything that is not a clean
/// permit from Arbiter — a failure, an unreadable answer, an obligation the caller cannot honour — is a deny whose
/// <see cref="Failure"/> says why.
/// </summary>
public sealed record AccessDecision
{
    public required bool Allowed { get; init; }

    /// <summary>Arbiter's decision id (the key into its decision log); null when Arbiter did not decide.</summary>
    public string? DecisionId { get; init; }

    /// <summary>A reason safe to show the end user.</summary>
    public string? ReasonUser { get; init; }

    /// <summary>A reason for operators (logs); never shown to end users.</summary>
    public string? ReasonAdmin { get; init; }

    public IReadOnlyList<Obligation> Obligations { get; init; } = [];

    public DecisionFailure Failure { get; init; } = DecisionFailure.None;

    /// <summary>A deny this client made because it could not get or honour Arbiter's answer.</summary>
    public static AccessDecision Failed(DecisionFailure failure, string reason, string? decisionId = null) => new()
    {
        Allowed = false,
        DecisionId = decisionId,
        Failure = failure,
        ReasonAdmin = reason,
        ReasonUser = failure == DecisionFailure.UnknownObligation
            ? "This action is blocked: a condition attached to it cannot be met here."
            : "Authorization is unavailable right now, so this action is blocked.",
    };
}
