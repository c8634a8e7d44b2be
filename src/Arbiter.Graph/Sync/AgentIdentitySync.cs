using System.Text.Json.Nodes;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Agent identities (Entra Agent ID). They have no delta API: each run lists them all and writes what changed; only a
/// complete listing may conclude that an agent is gone, and then it is disabled and flagged, never deleted.
/// </summary>
internal sealed class AgentIdentitySync(DocumentWriter writer, GraphRetry retry, GraphOptions options, ILogger logger)
{
    private const string UserType = "#microsoft.graph.user";
    private const string GroupType = "#microsoft.graph.group";

    /// <summary>
    /// Agent identities have no delta API: each run lists them all (<c>$top</c> pages, sponsors expanded inline,
    /// owners read per agent because Graph expands only one directory relationship per request), writes what changed,
    /// then disables the Entra agents it did not see. A crash simply means the next run lists again.
    /// </summary>
    public async Task<SyncCounts> SyncAgentsAsync(TenantRun run, CancellationToken cancellationToken)
    {
        SyncLog.ResourceStarted(logger, SyncResources.Agents, run.TenantId, DeltaSync.FullMode);
        run.Report(SyncResources.Agents, "started", 0, 0);
        var tally = new SyncTally();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var baseUrl = run.Client.RequestAdapter.BaseUrl!.TrimEnd('/');
        string? url = $"{baseUrl}/servicePrincipals/microsoft.graph.agentIdentity" +
            "?$select=id,displayName,accountEnabled,tags,agentIdentityBlueprintId&$expand=sponsors($select=id)" +
            $"&$top={options.AgentPageSize}";
        while (url is not null)
        {
            var requestUrl = url;
            var page = await retry.RunAsync(run, SyncResources.Agents,
                ct => run.Client.ServicePrincipals.WithUrl(requestUrl).GetAsync(cancellationToken: ct), cancellationToken);
            var listed = page?.Value ?? [];
            var agents = listed.Where(agent => !string.IsNullOrEmpty(agent.Id)).ToList();
            // Owners are read in parallel (one Graph call per agent); the page's documents are then written as one batch.
            var owners = new List<DirectoryObject>[agents.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, agents.Count), new ParallelOptions { MaxDegreeOfParallelism = options.OwnerLookupConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                owners[i] = await ReadOwnersAsync(run, agents[i].Id!, ct);
            });

            var changes = agents.Select((agent, i) => DocumentChange.Update(agent.Id!, body => ApplyAgent(body, agent, owners[i]))).ToList();
            tally.AddAll(await writer.ApplyAsync(run.TenantId, DocumentKinds.Agent, changes, cancellationToken));
            foreach (var agent in agents)
            {
                seen.Add(agent.Id!);
            }

            tally.Pages++;
            tally.Items += listed.Count;
            SyncLog.PageStored(logger, tally.Pages, SyncResources.Agents, run.TenantId, listed.Count);
            run.Report(SyncResources.Agents, "page", tally.Pages, tally.Items);
            url = page?.OdataNextLink;
        }

        // Only a complete listing may conclude that an agent is gone.
        run.Report(SyncResources.Agents, "sweep", tally.Pages, tally.Items);
        var gone = new List<string>();
        await foreach (var doc in writer.ListAsync(run.TenantId, DocumentKinds.Agent, cancellationToken))
        {
            if (!seen.Contains(doc.Id) && doc.Body.TryGetProperty("source", out var source) && source.ValueEquals(EntraSyncService.Source))
            {
                gone.Add(doc.Id);
            }
        }

        foreach (var outcome in await writer.ApplyAsync(run.TenantId, DocumentKinds.Agent, [.. gone.Select(id => DocumentChange.Update(id, MarkRemoved))], cancellationToken))
        {
            if (outcome == WriteOutcome.Written)
            {
                tally.AddDisabled();
            }
            else
            {
                tally.Add(outcome);
            }
        }

        var counts = tally.ToCounts(DeltaSync.FullMode);
        SyncLog.ResourceCompleted(logger, SyncResources.Agents, run.TenantId, counts.Pages, counts.Upserted, counts.Unchanged, counts.Deleted, counts.Disabled);
        return counts;
    }

    private async Task<List<DirectoryObject>> ReadOwnersAsync(TenantRun run, string agentId, CancellationToken cancellationToken)
    {
        var owners = new List<DirectoryObject>();
        DirectoryObjectCollectionResponse? page;
        try
        {
            page = await retry.RunAsync(run, SyncResources.Agents,
                ct => run.Client.ServicePrincipals[agentId].Owners.GetAsync(rc => rc.QueryParameters.Select = ["id"], ct), cancellationToken);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == 404)
        {
            // Deleted between the listing and this call: the next run will not list it and disables it then.
            return owners;
        }

        while (page is not null)
        {
            owners.AddRange(page.Value ?? []);
            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await retry.RunAsync(run, SyncResources.Agents,
                ct => run.Client.ServicePrincipals[agentId].Owners.WithUrl(next).GetAsync(cancellationToken: ct), cancellationToken);
        }

        return owners;
    }

    /// <summary>
    /// Maps an agent identity onto the <c>agent</c> document. Arbiter-owned fields survive: <c>suspended</c> (the kill
    /// switch) is never taken from Entra, and tags admins added are kept. Tag rule: <c>entraTags</c> holds what Entra
    /// said last time; <c>tags</c> = (previous tags − previous entraTags) ∪ current Entra tags, so an Entra tag that is
    /// removed in Entra leaves <c>tags</c>, while a tag only an admin added stays.
    /// <c>owner</c> is the first user owner (Arbiter's model has one); every owner id is in <c>attributes.owners</c>,
    /// group sponsors in <c>attributes.sponsorGroups</c>.
    /// </summary>
    private static JsonObject ApplyAgent(JsonObject? body, ServicePrincipal agent, List<DirectoryObject> owners)
    {
        body ??= new JsonObject { ["id"] = agent.Id, ["suspended"] = false };
        var previousEntraTags = JsonSets.Read(body["entraTags"]);
        var tags = JsonSets.Read(body["tags"]);
        tags.ExceptWith(previousEntraTags);
        var entraTags = new SortedSet<string>(agent.Tags?.Where(t => !string.IsNullOrEmpty(t)).Select(t => t!) ?? [], StringComparer.Ordinal);
        tags.UnionWith(entraTags);

        var sponsors = (agent as AgentIdentity)?.Sponsors ?? [];
        var blueprintId = (agent as AgentIdentity)?.AgentIdentityBlueprintId
            ?? (agent.AdditionalData.TryGetValue("agentIdentityBlueprintId", out var raw) ? raw?.ToString() : null);

        body["id"] = agent.Id;
        if (agent.DisplayName is not null)
        {
            body["displayName"] = agent.DisplayName;
        }

        body["enabled"] = agent.AccountEnabled ?? true;
        body["suspended"] ??= false;
        body["owner"] = owners.FirstOrDefault(o => o.OdataType == UserType)?.Id;
        body["sponsors"] = JsonSets.ToArray(new SortedSet<string>(sponsors.Where(s => s.OdataType != GroupType && s.Id is not null).Select(s => s.Id!), StringComparer.Ordinal));
        body["tags"] = JsonSets.ToArray(tags);
        body["entraTags"] = JsonSets.ToArray(entraTags);
        body["blueprintId"] = blueprintId;
        body["source"] = EntraSyncService.Source;
        if (body["attributes"] is not JsonObject attributes)
        {
            attributes = new JsonObject();
            body["attributes"] = attributes;
        }

        attributes.Remove("entraRemoved");
        attributes["owners"] = JsonSets.ToArray(owners.Where(o => o.Id is not null).Select(o => o.Id!));
        attributes["sponsorGroups"] = JsonSets.ToArray(new SortedSet<string>(sponsors.Where(s => s.OdataType == GroupType && s.Id is not null).Select(s => s.Id!), StringComparer.Ordinal));
        return body;
    }

    /// <summary>An agent that vanished from Entra is disabled and flagged, not deleted: decisions deny it, reviewers still see it.</summary>
    private static JsonObject? MarkRemoved(JsonObject? body)
    {
        if (body is null || (string?)body["source"] != EntraSyncService.Source)
        {
            return null;
        }

        body["enabled"] = false;
        if (body["attributes"] is not JsonObject attributes)
        {
            attributes = new JsonObject();
            body["attributes"] = attributes;
        }

        attributes["entraRemoved"] = true;
        return body;
    }
}
