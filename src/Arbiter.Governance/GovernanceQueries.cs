using Arbiter.Governance.Drift;
using Arbiter.Governance.Entitlements;
using Arbiter.Store;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance;

public sealed record FindingFilter(string? AgentId = null, string? Owner = null, string? State = null, FindingSeverity? MinSeverity = null, int Limit = 100);

public sealed record TaskFilter(string? AgentId = null, string? Owner = null, string? State = null, int Limit = 100);

/// <summary>Reads for the admin API and the CLI: findings and tasks (filtered, newest first), one task, an agent's entitlements against its baseline.</summary>
public sealed class GovernanceQueries(IDocumentStore store, DriftDetector detector, EntitlementCalculator calculator, IOptions<GovernanceOptions> options)
{
    public async Task<IReadOnlyList<FindingRecord>> ListFindingsAsync(string tenantId, FindingFilter filter, CancellationToken cancellationToken)
    {
        var all = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.Finding, GovernanceJsonContext.Default.FindingRecord, cancellationToken);
        return [.. all.Select(f => f.Record)
            .Where(f => filter.AgentId is null || f.AgentId == filter.AgentId)
            .Where(f => filter.Owner is null || f.Owner == filter.Owner)
            .Where(f => filter.State is null || f.State == filter.State)
            .Where(f => filter.MinSeverity is null || (Enum.TryParse<FindingSeverity>(f.Severity, true, out var s) && s >= filter.MinSeverity))
            .OrderByDescending(f => f.LastSeen).ThenBy(f => f.Id, StringComparer.Ordinal)
            .Take(filter.Limit)];
    }

    public async Task<IReadOnlyList<ReviewTaskRecord>> ListTasksAsync(string tenantId, TaskFilter filter, CancellationToken cancellationToken)
    {
        var all = await GovernanceDocuments.ListAsync(store, tenantId, DocumentKinds.ReviewTask, GovernanceJsonContext.Default.ReviewTaskRecord, cancellationToken);
        return [.. all.Select(t => t.Record)
            .Where(t => filter.AgentId is null || t.AgentId == filter.AgentId)
            .Where(t => filter.Owner is null || t.Owner == filter.Owner || t.Reviewers.Contains(filter.Owner))
            .Where(t => filter.State is null || t.State == filter.State)
            .OrderByDescending(t => t.OpenedAt).ThenBy(t => t.Id, StringComparer.Ordinal)
            .Take(filter.Limit)];
    }

    public async Task<ReviewTaskRecord?> GetTaskAsync(string tenantId, string taskId, CancellationToken cancellationToken) =>
        GovernanceDocuments.Read(await store.GetAsync(tenantId, DocumentKinds.ReviewTask, taskId, cancellationToken: cancellationToken), GovernanceJsonContext.Default.ReviewTaskRecord);

    public async Task<BaselineRecord?> GetBaselineAsync(string tenantId, string agentId, CancellationToken cancellationToken) =>
        GovernanceDocuments.Read(await store.GetAsync(tenantId, DocumentKinds.Baseline, agentId, cancellationToken: cancellationToken), GovernanceJsonContext.Default.BaselineRecord);

    /// <summary>The agent's entitlements now, its baseline, and the diff (null parts when unknown).</summary>
    public async Task<EntitlementsDto?> GetEntitlementsAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var snapshot = await detector.CurrentSnapshotAsync(tenantId, cancellationToken);
        var current = calculator.Compute(snapshot, agentId, options.Value.MaxUserClasses);
        var baseline = await GetBaselineAsync(tenantId, agentId, cancellationToken);
        if (current is null && baseline is null)
            return null;
        return new EntitlementsDto(current, baseline, current is not null && baseline is not null ? EntitlementDiff.Between(baseline.Entitlements, current) : null);
    }
}
