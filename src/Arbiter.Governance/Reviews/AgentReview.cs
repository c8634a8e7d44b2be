using Arbiter.Governance.Entitlements;

namespace Arbiter.Governance.Reviews;

/// <summary>How one permission compares with the certified baseline.</summary>
public static class ReachChange
{
    public const string Added = "added";
    public const string Kept = "kept";
    public const string Removed = "removed";
}

/// <summary>
/// One tool, server or data resource the agent can reach (or could, at its baseline): through which of its grants,
/// and when a decision last permitted it (null: not in <see cref="AgentReview.UsageDays"/> days).
/// </summary>
public sealed record ReachItem(string Kind, string Id, string? DisplayName, string? Level, string Change, IReadOnlyList<string> Policies, DateTimeOffset? LastUsed);

/// <summary>A group whose members may invoke the agent (or could, at its baseline), and the policies that name it.</summary>
public sealed record InvokingGroupItem(string Id, string? DisplayName, string Change, IReadOnlyList<string> Policies);

/// <summary>Everything a reviewer needs to decide one task: who answers for the agent, its reach against the baseline, usage, the findings.</summary>
public sealed record AgentReview(
    ReviewTaskRecord Task,
    AgentEntitlements? Now,
    BaselineRecord? Baseline,
    EntitlementDiff? Diff,
    IReadOnlyList<ReachItem> Reach,
    IReadOnlyList<InvokingGroupItem> Groups,
    IReadOnlyList<FindingRecord> Findings,
    RevokePlan Revoke,
    int UsageDays);
