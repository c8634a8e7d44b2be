namespace Arbiter.Client;

/// <summary>Why a decision is a deny that Arbiter did not make itself.</summary>
public enum DecisionFailure
{
    /// <summary>Arbiter answered (permit or deny).</summary>
    None,

    /// <summary>Arbiter could not be reached, timed out, or answered 5xx.</summary>
    Unavailable,

    /// <summary>Arbiter's answer could not be read as an AuthZEN decision.</summary>
    InvalidResponse,

    /// <summary>Arbiter refused the call itself (4xx: bad request, credentials, role).</summary>
    Rejected,

    /// <summary>Arbiter permitted with an obligation this enforcement point does not honour, so it is a deny.</summary>
    UnknownObligation,
}
