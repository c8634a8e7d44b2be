using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Runtime.Audit;
using Arbiter.Runtime.Snapshots;
using Arbiter.Store;

namespace Arbiter.Runtime.Agents;

/// <summary>What <see cref="AgentKillSwitch.SetSuspendedAsync"/> did.</summary>
public enum KillSwitchOutcome { Done, NotFound, Contended }

/// <summary>The outcome and the agent's document as written (when <see cref="Outcome"/> is Done).</summary>
public sealed record KillSwitchResult(KillSwitchOutcome Outcome, StoredDocument? Agent);

/// <summary>
/// Suspends or resumes an agent: sets <c>suspended</c> with a read-modify-write under the agent's ETag (so a sync or
/// another admin writing other fields meanwhile loses nothing), audits it, then refreshes this instance's snapshot:
/// when the call returns, this instance denies at once; others within their refresh interval.
/// </summary>
public sealed class AgentKillSwitch(IDocumentStore store, AuditLog audit, TenantSnapshots snapshots)
{
    public async Task<KillSwitchResult> SetSuspendedAsync(string tenantId, string agentId, bool suspended, string actor,
        string? detail = null, string? source = null, CancellationToken cancellationToken = default)
    {
        var update = await store.UpdateAsync(tenantId, DocumentKinds.Agent, agentId, current =>
        {
            if (current is null)
                return null;
            // Copied member by member (the last of a repeated name wins), so even a document stored before duplicate
            // members were refused can be suspended: the kill switch must never fail on the agent's own data.
            var node = new JsonObject();
            foreach (var member in current.Body.EnumerateObject())
                node[member.Name] = JsonNode.Parse(member.Value.GetRawText());
            node["suspended"] = suspended;
            return JsonSerializer.SerializeToElement(node, RuntimeJsonContext.Default.JsonObject);
        }, cancellationToken: cancellationToken);
        if (update.Before is null)
            return new KillSwitchResult(KillSwitchOutcome.NotFound, null);
        if (!update.Written)
            return new KillSwitchResult(KillSwitchOutcome.Contended, null);
        await audit.RecordAsync(tenantId, actor, suspended ? "suspend" : "resume", DocumentKinds.Agent, agentId, detail, source, cancellationToken);
        await snapshots.RefreshQuietlyAsync(tenantId, cancellationToken);
        return new KillSwitchResult(KillSwitchOutcome.Done, update.After);
    }
}
