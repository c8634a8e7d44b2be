namespace Arbiter.GraphSimulator;

/// <summary>
/// The in-memory Entra directory behind the simulator. Every mutation bumps a global version; delta tokens are
/// versions, so a delta round returns exactly what changed after the token it started from.
/// All members are thread-safe (one lock: tests mutate while the SDK pages).
/// </summary>
public sealed class SimulatedDirectory
{
    internal readonly object Gate = new();
    internal readonly Dictionary<string, SimUser> Users = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, SimGroup> Groups = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, SimAgent> Agents = new(StringComparer.Ordinal);

    /// <summary>The version of the last change.</summary>
    public long Version { get; private set; }

    private long Next() => ++Version;

    /// <summary>Advances the version without a change (a clean boundary for token expiry).</summary>
    internal long Touch()
    {
        lock (Gate)
        {
            return Next();
        }
    }

    public void AddUser(string id, string? displayName = null, string? department = null, string? jobTitle = null, bool enabled = true)
    {
        lock (Gate)
        {
            Users[id] = new SimUser(id)
            {
                DisplayName = displayName ?? id,
                Department = department,
                JobTitle = jobTitle,
                UserPrincipalName = $"{id}@contoso.example",
                AccountEnabled = enabled,
                Version = Next(),
            };
        }
    }

    public void UpdateUser(string id, string? department = null, string? jobTitle = null, string? displayName = null)
    {
        lock (Gate)
        {
            var user = Live(Users, id);
            user.Department = department ?? user.Department;
            user.JobTitle = jobTitle ?? user.JobTitle;
            user.DisplayName = displayName ?? user.DisplayName;
            user.Version = Next();
        }
    }

    public void DisableUser(string id) => SetUserEnabled(id, false);

    public void EnableUser(string id) => SetUserEnabled(id, true);

    private void SetUserEnabled(string id, bool enabled)
    {
        lock (Gate)
        {
            var user = Live(Users, id);
            user.AccountEnabled = enabled;
            user.Version = Next();
        }
    }

    /// <summary>Deletes a user; its memberships disappear too (as Graph reports them in groups delta).</summary>
    public void RemoveUser(string id)
    {
        lock (Gate)
        {
            var user = Live(Users, id);
            user.Deleted = true;
            user.Version = Next();
            RemoveMemberEverywhere(id);
        }
    }

    public void AddGroup(string id, string? displayName = null, IEnumerable<string>? members = null)
    {
        lock (Gate)
        {
            var group = new SimGroup(id) { DisplayName = displayName ?? id, Version = Next() };
            Groups[id] = group;
            foreach (var member in members ?? [])
            {
                SetEdge(group, member, removed: false);
            }
        }
    }

    public void RenameGroup(string id, string displayName)
    {
        lock (Gate)
        {
            var group = Live(Groups, id);
            group.DisplayName = displayName;
            group.Version = Next();
        }
    }

    /// <summary>Adds a user or (when <paramref name="memberId"/> names a group) a nested group.</summary>
    public void AddMember(string groupId, string memberId)
    {
        lock (Gate)
        {
            SetEdge(Live(Groups, groupId), memberId, removed: false);
        }
    }

    public void AddMembers(string groupId, IEnumerable<string> memberIds)
    {
        lock (Gate)
        {
            var group = Live(Groups, groupId);
            foreach (var memberId in memberIds)
            {
                SetEdge(group, memberId, removed: false);
            }
        }
    }

    public void RemoveMember(string groupId, string memberId)
    {
        lock (Gate)
        {
            SetEdge(Live(Groups, groupId), memberId, removed: true);
        }
    }

    public void DeleteGroup(string id)
    {
        lock (Gate)
        {
            var group = Live(Groups, id);
            group.Deleted = true;
            group.Version = Next();
            RemoveMemberEverywhere(id);
        }
    }

    public void AddAgent(string id, string? displayName = null, string? blueprintId = null, IEnumerable<string>? tags = null,
        IEnumerable<string>? owners = null, IEnumerable<string>? sponsors = null, bool enabled = true)
    {
        lock (Gate)
        {
            Agents[id] = new SimAgent(id)
            {
                DisplayName = displayName ?? id,
                BlueprintId = blueprintId ?? "blueprint-1",
                Tags = [.. tags ?? []],
                Owners = [.. owners ?? []],
                Sponsors = [.. sponsors ?? []],
                AccountEnabled = enabled,
            };
            Next();
        }
    }

    public void DisableAgent(string id)
    {
        lock (Gate)
        {
            Live(Agents, id).AccountEnabled = false;
            Next();
        }
    }

    public void RemoveAgent(string id)
    {
        lock (Gate)
        {
            Live(Agents, id).Deleted = true;
            Next();
        }
    }

    public void SetSponsors(string agentId, params string[] sponsors)
    {
        lock (Gate)
        {
            Live(Agents, agentId).Sponsors = [.. sponsors];
            Next();
        }
    }

    public void SetOwners(string agentId, params string[] owners)
    {
        lock (Gate)
        {
            Live(Agents, agentId).Owners = [.. owners];
            Next();
        }
    }

    public void SetAgentTags(string agentId, params string[] tags)
    {
        lock (Gate)
        {
            Live(Agents, agentId).Tags = [.. tags];
            Next();
        }
    }

    /// <summary>Live member ids of a group (for assertions).</summary>
    public IReadOnlyList<string> MembersOf(string groupId)
    {
        lock (Gate)
        {
            return [.. Live(Groups, groupId).Members.Values.Where(e => !e.Removed).Select(e => e.MemberId).Order(StringComparer.Ordinal)];
        }
    }

    internal bool IsGroup(string id) => Groups.ContainsKey(id);

    private void SetEdge(SimGroup group, string memberId, bool removed)
    {
        if (group.Members.TryGetValue(memberId, out var edge) && edge.Removed == removed)
        {
            return;
        }

        group.Members[memberId] = new SimEdge(memberId, IsGroup(memberId), removed, Next());
    }

    private void RemoveMemberEverywhere(string memberId)
    {
        foreach (var group in Groups.Values)
        {
            if (!group.Deleted && group.Members.TryGetValue(memberId, out var edge) && !edge.Removed)
            {
                SetEdge(group, memberId, removed: true);
            }
        }
    }

    private static T Live<T>(Dictionary<string, T> map, string id) where T : SimObject =>
        map.TryGetValue(id, out var item) && !item.Deleted ? item : throw new KeyNotFoundException($"No live object '{id}'.");
}

internal abstract class SimObject(string id)
{
    public string Id { get; } = id;
    public bool Deleted { get; set; }
    public long Version { get; set; }
}

internal sealed class SimUser(string id) : SimObject(id)
{
    public string? DisplayName { get; set; }
    public bool AccountEnabled { get; set; } = true;
    public string? Department { get; set; }
    public string? JobTitle { get; set; }
    public string? UserPrincipalName { get; set; }
}

internal sealed record SimEdge(string MemberId, bool IsGroup, bool Removed, long Version);

internal sealed class SimGroup(string id) : SimObject(id)
{
    public string? DisplayName { get; set; }
    public Dictionary<string, SimEdge> Members { get; } = new(StringComparer.Ordinal);
}

internal sealed class SimAgent(string id) : SimObject(id)
{
    public string? DisplayName { get; set; }
    public bool AccountEnabled { get; set; } = true;
    public string? BlueprintId { get; set; }
    public List<string> Tags { get; set; } = [];
    public List<string> Owners { get; set; } = [];
    public List<string> Sponsors { get; set; } = [];
}
