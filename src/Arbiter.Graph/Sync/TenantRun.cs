using Microsoft.Graph;

namespace Arbiter.Graph.Sync;

/// <summary>State of one tenant run: its Graph client, the counts and errors so far, and where progress goes.</summary>
internal sealed class TenantRun(string tenantId, IProgress<SyncProgress>? progress)
{
    public string TenantId { get; } = tenantId;
    public GraphServiceClient Client { get; set; } = null!;
    public Dictionary<string, SyncCounts> Counts { get; } = new(StringComparer.Ordinal);
    public List<SyncError> Errors { get; } = [];

    public void Report(string resource, string phase, int pages, int items) =>
        progress?.Report(new SyncProgress(TenantId, resource, phase, pages, items));
}
