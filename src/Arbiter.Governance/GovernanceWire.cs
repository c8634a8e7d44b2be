using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;

namespace Arbiter.Governance;

/// <summary>A filtered list and its length.</summary>
public sealed record ItemsDto<T>(IReadOnlyList<T> Items, int Count);

public sealed record EntitlementsDto(AgentEntitlements? Current, BaselineRecord? Baseline, EntitlementDiff? Diff);

public sealed record DriftRunDto(string TenantId, bool Full, int ChangesRead, IReadOnlyList<string> AgentsRecomputed, int FindingsOpened, int FindingsResolved, int TasksOpened, double ElapsedMs)
{
    public static DriftRunDto From(DriftRunResult r) =>
        new(r.TenantId, r.Full, r.ChangesRead, r.AgentsRecomputed, r.FindingsOpened, r.FindingsResolved, r.TasksOpened, Math.Round(r.Elapsed.TotalMilliseconds, 3));
}

/// <summary>Optional body of a reviewer action.</summary>
public sealed record ReviewCommentDto(string? Comment);
