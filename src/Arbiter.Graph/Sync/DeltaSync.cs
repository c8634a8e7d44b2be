using System.Text.Json.Nodes;
using Arbiter.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Users and groups through Graph delta queries. Each stream's position (its <c>syncState</c> document,
/// <see cref="EntraSyncService.UsersStateId"/> / <see cref="EntraSyncService.GroupsStateId"/>) is checkpointed per stored
/// page, so an interrupted run resumes where it stopped with nothing lost or doubled; an expired delta token starts a
/// full round that also removes what Entra no longer has.
/// </summary>
internal sealed class DeltaSync(DocumentWriter writer, GraphRetry retry, GraphOptions options, TimeProvider time, ILogger logger)
{
    public const string FullMode = "full";
    public const string DeltaMode = "delta";
    private static readonly string[] UserSelect = ["id", "displayName", "accountEnabled", "department", "jobTitle", "userPrincipalName"];
    private static readonly string[] GroupSelect = ["id", "displayName", "members"];

    private sealed record DeltaPage<T>(List<T> Items, string? NextLink, string? DeltaLink);

    /// <summary>
    /// The persisted position of one delta stream (<c>syncState</c> body). <c>nextLink</c> is set while a run is in
    /// progress (the page after the last stored one); <c>deltaLink</c> once a round completed. <c>generation</c> marks
    /// the documents a full (re)sync has seen, so what it did not see can be removed at its end.
    /// </summary>
    private sealed record Checkpoint(string? DeltaLink, string? NextLink, string Mode, string? Generation);

    /// <summary>Follows the users delta stream of the run's tenant from its checkpoint to a new deltaLink.</summary>
    public Task<SyncCounts> SyncUsersAsync(TenantRun run, CancellationToken cancellationToken) =>
        SyncDeltaAsync(run, SyncResources.Users, EntraSyncService.UsersStateId, DocumentKinds.User,
            async (url, ct) =>
            {
                var builder = url is null ? run.Client.Users.Delta : run.Client.Users.Delta.WithUrl(url);
                var page = await builder.GetAsDeltaGetResponseAsync(rc =>
                {
                    if (url is null)
                    {
                        rc.QueryParameters.Select = UserSelect;
                    }

                    rc.Headers.Add("Prefer", $"odata.maxpagesize={options.PageSize}");
                }, ct);
                return new DeltaPage<User>(page?.Value ?? [], page?.OdataNextLink, page?.OdataDeltaLink);
            },
            ApplyUsersAsync,
            cancellationToken);

    /// <summary>Follows the groups delta stream (with <c>members@delta</c>) from its checkpoint to a new deltaLink.</summary>
    public Task<SyncCounts> SyncGroupsAsync(TenantRun run, CancellationToken cancellationToken) =>
        SyncDeltaAsync(run, SyncResources.Groups, EntraSyncService.GroupsStateId, DocumentKinds.Group,
            async (url, ct) =>
            {
                var builder = url is null ? run.Client.Groups.Delta : run.Client.Groups.Delta.WithUrl(url);
                var page = await builder.GetAsDeltaGetResponseAsync(rc =>
                {
                    if (url is null)
                    {
                        rc.QueryParameters.Select = GroupSelect;
                    }

                    rc.Headers.Add("Prefer", $"odata.maxpagesize={options.PageSize}");
                }, ct);
                return new DeltaPage<Group>(page?.Value ?? [], page?.OdataNextLink, page?.OdataDeltaLink);
            },
            ApplyGroupsAsync,
            cancellationToken);

    /// <summary>
    /// Follows one delta stream from its checkpoint to a new deltaLink. Per page: store its changes, then advance the
    /// checkpoint. A crash between the two replays that page (writes are idempotent); nothing is skipped.
    /// </summary>
    private async Task<SyncCounts> SyncDeltaAsync<T>(
        TenantRun run,
        string resource,
        string stateId,
        string kind,
        Func<string?, CancellationToken, Task<DeltaPage<T>>> fetch,
        Func<TenantRun, List<T>, string?, SyncTally, CancellationToken, Task> apply,
        CancellationToken cancellationToken)
    {
        var checkpoint = await ReadCheckpointAsync(run.TenantId, stateId, cancellationToken);
        string? url;
        string mode;
        if (checkpoint?.NextLink is not null)
        {
            SyncLog.Resuming(logger, resource, run.TenantId);
            url = checkpoint.NextLink;
            checkpoint = checkpoint with { Generation = checkpoint.Mode == FullMode ? checkpoint.Generation ?? NewGeneration() : null };
            mode = "resumed-" + checkpoint.Mode;
        }
        else if (checkpoint?.DeltaLink is not null)
        {
            url = checkpoint.DeltaLink;
            checkpoint = new Checkpoint(checkpoint.DeltaLink, null, DeltaMode, null);
            mode = DeltaMode;
        }
        else
        {
            url = null;
            checkpoint = new Checkpoint(null, null, FullMode, NewGeneration());
            mode = FullMode;
        }

        SyncLog.ResourceStarted(logger, resource, run.TenantId, mode);
        run.Report(resource, "started", 0, 0);
        var tally = new SyncTally();
        var resynced = false;
        while (true)
        {
            DeltaPage<T> page;
            try
            {
                var requestUrl = url;
                page = await retry.RunAsync(run, resource, ct => fetch(requestUrl, ct), cancellationToken);
            }
            catch (ApiException ex) when (!resynced && url is not null && GraphRetry.IsResyncRequired(ex, out var reason))
            {
                // The delta token expired (or Graph lost its state): start over with a full round that also
                // removes what no longer exists. Nothing is written until the first full page is stored.
                SyncLog.ResyncRequired(logger, resource, run.TenantId, reason);
                resynced = true;
                mode = "resync";
                url = null;
                checkpoint = new Checkpoint(null, null, FullMode, NewGeneration());
                await WriteCheckpointAsync(run.TenantId, stateId, resource, checkpoint, cancellationToken);
                continue;
            }

            await apply(run, page.Items, checkpoint.Generation, tally, cancellationToken);
            tally.Pages++;
            tally.Items += page.Items.Count;

            if (page.NextLink is not null)
            {
                checkpoint = checkpoint with { NextLink = page.NextLink };
                await WriteCheckpointAsync(run.TenantId, stateId, resource, checkpoint, cancellationToken);
                SyncLog.PageStored(logger, tally.Pages, resource, run.TenantId, page.Items.Count);
                run.Report(resource, "page", tally.Pages, tally.Items);
                url = page.NextLink;
                continue;
            }

            if (checkpoint.Mode == FullMode && checkpoint.Generation is not null)
            {
                // A full round saw everything that exists; what it did not see was deleted while we were not looking.
                run.Report(resource, "sweep", tally.Pages, tally.Items);
                await SweepAsync(run, resource, kind, checkpoint.Generation, tally, cancellationToken);
            }

            if (page.DeltaLink is null)
            {
                throw new InvalidOperationException($"Graph ended the {resource} delta round without a deltaLink.");
            }

            await WriteCheckpointAsync(run.TenantId, stateId, resource, new Checkpoint(page.DeltaLink, null, DeltaMode, null), cancellationToken);
            SyncLog.PageStored(logger, tally.Pages, resource, run.TenantId, page.Items.Count);
            run.Report(resource, "page", tally.Pages, tally.Items);
            break;
        }

        var counts = tally.ToCounts(mode);
        SyncLog.ResourceCompleted(logger, resource, run.TenantId, counts.Pages, counts.Upserted, counts.Unchanged, counts.Deleted, counts.Disabled);
        return counts;
    }

    private static string NewGeneration() => Guid.NewGuid().ToString("N");

    private async Task<Checkpoint?> ReadCheckpointAsync(string tenantId, string stateId, CancellationToken cancellationToken)
    {
        var body = await writer.ReadAsync(tenantId, DocumentKinds.SyncState, stateId, cancellationToken);
        if (body is null)
        {
            return null;
        }

        return new Checkpoint(
            (string?)body["deltaLink"],
            (string?)body["nextLink"],
            (string?)body["mode"] ?? DeltaMode,
            (string?)body["generation"]);
    }

    private Task WriteCheckpointAsync(string tenantId, string stateId, string resource, Checkpoint checkpoint, CancellationToken cancellationToken) =>
        writer.PutAsync(tenantId, DocumentKinds.SyncState, stateId, new JsonObject
        {
            ["id"] = stateId,
            ["source"] = EntraSyncService.Source,
            ["resource"] = resource,
            ["deltaLink"] = checkpoint.DeltaLink,
            ["nextLink"] = checkpoint.NextLink,
            ["mode"] = checkpoint.Mode,
            ["generation"] = checkpoint.Generation,
            ["updatedAt"] = time.GetUtcNow(),
        }, cancellationToken);

    /// <summary>Tombstones the Entra-sourced documents of <paramref name="kind"/> a full round did not see.</summary>
    private async Task SweepAsync(TenantRun run, string resource, string kind, string generation, SyncTally tally, CancellationToken cancellationToken)
    {
        var stale = new List<string>();
        await foreach (var doc in writer.ListAsync(run.TenantId, kind, cancellationToken))
        {
            if (doc.Body.TryGetProperty("source", out var source) && source.ValueEquals(EntraSyncService.Source) &&
                !(doc.Body.TryGetProperty("syncGeneration", out var seen) && seen.ValueEquals(generation)))
            {
                stale.Add(doc.Id);
            }
        }

        tally.AddAll(await writer.ApplyAsync(run.TenantId, kind, [.. stale.Select(DocumentChange.Delete)], cancellationToken));
        SyncLog.Swept(logger, resource, run.TenantId, stale.Count);
    }

    private async Task ApplyUsersAsync(TenantRun run, List<User> users, string? generation, SyncTally tally, CancellationToken cancellationToken)
    {
        // The last entry for an id wins; the page is written as one batch.
        var latest = new Dictionary<string, User>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            if (!string.IsNullOrEmpty(user.Id))
            {
                latest[user.Id] = user;
            }
        }

        var changes = latest.Values
            .Select(user => GraphPayload.IsRemoved(user.AdditionalData)
                ? DocumentChange.Delete(user.Id!)
                : DocumentChange.Update(user.Id!, body => ApplyUser(body, user, generation)))
            .ToList();
        tally.AddAll(await writer.ApplyAsync(run.TenantId, DocumentKinds.User, changes, cancellationToken));
    }

    /// <summary>
    /// Maps an Entra user onto the <c>user</c> document. Graph returns every selected property on delta pages (we never
    /// ask for <c>return=minimal</c>), so a null attribute means "cleared". Attributes Entra does not own are kept.
    /// </summary>
    internal static JsonObject ApplyUser(JsonObject? body, User user, string? generation)
    {
        body ??= new JsonObject { ["id"] = user.Id, ["enabled"] = true };
        body["id"] = user.Id;
        if (user.DisplayName is not null)
        {
            body["displayName"] = user.DisplayName;
        }

        if (user.AccountEnabled is bool enabled)
        {
            body["enabled"] = enabled;
        }

        if (body["attributes"] is not JsonObject attributes)
        {
            attributes = new JsonObject();
            body["attributes"] = attributes;
        }

        SetOrRemove(attributes, "department", user.Department);
        SetOrRemove(attributes, "jobTitle", user.JobTitle);
        SetOrRemove(attributes, "userPrincipalName", user.UserPrincipalName);
        body["source"] = EntraSyncService.Source;
        if (generation is not null)
        {
            body["syncGeneration"] = generation;
        }

        return body;
    }

    private static void SetOrRemove(JsonObject target, string name, string? value)
    {
        if (value is null)
        {
            target.Remove(name);
        }
        else
        {
            target[name] = value;
        }
    }

    /// <summary>The changes to one group found on one page (a group may appear more than once, each with a slice of members).</summary>
    private sealed class GroupChange(string id)
    {
        public string Id { get; } = id;
        public bool Removed { get; set; }
        public string? DisplayName { get; set; }
        public List<MemberDelta> Members { get; } = [];
    }

    private async Task ApplyGroupsAsync(TenantRun run, List<Group> groups, string? generation, SyncTally tally, CancellationToken cancellationToken)
    {
        var changes = new Dictionary<string, GroupChange>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            if (string.IsNullOrEmpty(group.Id))
            {
                continue;
            }

            if (!changes.TryGetValue(group.Id, out var change))
            {
                change = new GroupChange(group.Id);
                changes[group.Id] = change;
            }

            if (GraphPayload.IsRemoved(group.AdditionalData))
            {
                change.Removed = true;
                change.Members.Clear();
                continue;
            }

            change.Removed = false;
            change.DisplayName = group.DisplayName ?? change.DisplayName;
            change.Members.AddRange(GraphPayload.MembersDelta(group.AdditionalData));
        }

        var writes = changes.Values
            .Select(change => change.Removed
                ? DocumentChange.Delete(change.Id)
                : DocumentChange.Update(change.Id, body => ApplyGroup(body, change, generation)))
            .ToList();
        tally.AddAll(await writer.ApplyAsync(run.TenantId, DocumentKinds.Group, writes, cancellationToken));
    }

    /// <summary>
    /// Applies one page's member additions and removals to a <c>group</c> document. Set semantics make replays
    /// harmless. In a full round the first sight of a group (its <c>syncGeneration</c> differs) starts from an empty
    /// member list, so members removed while the delta state was lost do not linger.
    /// </summary>
    private static JsonObject ApplyGroup(JsonObject? body, GroupChange change, string? generation)
    {
        var restart = body is null || (generation is not null && (string?)body["syncGeneration"] != generation);
        var users = restart ? new SortedSet<string>(StringComparer.Ordinal) : JsonSets.Read(body!["memberUsers"]);
        var groups = restart ? new SortedSet<string>(StringComparer.Ordinal) : JsonSets.Read(body!["memberGroups"]);
        foreach (var member in change.Members)
        {
            var set = member.IsGroup ? groups : users;
            if (member.Removed)
            {
                set.Remove(member.Id);
            }
            else
            {
                set.Add(member.Id);
            }
        }

        body ??= new JsonObject { ["id"] = change.Id };
        body["id"] = change.Id;
        if (change.DisplayName is not null)
        {
            body["displayName"] = change.DisplayName;
        }

        body["memberUsers"] = JsonSets.ToArray(users);
        body["memberGroups"] = JsonSets.ToArray(groups);
        body["source"] = EntraSyncService.Source;
        if (generation is not null)
        {
            body["syncGeneration"] = generation;
        }

        return body;
    }
}
