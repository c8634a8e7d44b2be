using System.Collections.Frozen;
using System.Collections.Immutable;
using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// The per-user tables a snapshot reads — each user's direct groups, every group's parents, each user's groups
/// through nesting, and the <see cref="Principal"/> entries — kept in <see cref="ShardedTable{TValue}"/>s so that a
/// user or membership change (a Microsoft Graph delta every few minutes) costs the users it reaches, not the tenant.
/// Built from scratch (<see cref="Build"/>) or from the previous snapshot's tables plus the state's
/// <see cref="DirectoryDelta"/>; both paths compute each user's entries with the same functions, so they agree. A large
/// tenant built from scratch computes them by group number on all cores (<see cref="GroupNumbers"/>): the same entries,
/// which the tests hold it to (the parallel build against the loop, the loop against the incremental updates).
/// </summary>
internal sealed class DirectoryTables
{
    [ThreadStatic]
    private static List<int>? t_ordinals;

    private DirectoryTables(ImmutableDictionary<string, UserFact> users, ImmutableDictionary<string, GroupFact> groups, FrozenDictionary<string, int> groupOrdinals,
        ShardedTable<string[]> directGroups, ShardedTable<string[]> parents, ShardedTable<string[]> closure, ShardedTable<Principal> principals)
    {
        Users = users;
        Groups = groups;
        GroupOrdinals = groupOrdinals;
        DirectGroups = directGroups;
        Parents = parents;
        Closure = closure;
        Principals = principals;
    }

    /// <summary>The documents the tables were computed from (compared by reference).</summary>
    public ImmutableDictionary<string, UserFact> Users { get; }
    public ImmutableDictionary<string, GroupFact> Groups { get; }
    public FrozenDictionary<string, int> GroupOrdinals { get; }

    /// <summary>User → the groups that list them in <c>memberUsers</c>, ordinal order.</summary>
    public ShardedTable<string[]> DirectGroups { get; }

    /// <summary>Group → the groups that list it in <c>memberGroups</c>, ordinal order.</summary>
    public ShardedTable<string[]> Parents { get; }

    /// <summary>User → every group they are in, directly or through nesting, ordinal order (users in no group are absent).</summary>
    public ShardedTable<string[]> Closure { get; }

    /// <summary>Every user document and every group member, as evaluation reads them.</summary>
    public ShardedTable<Principal> Principals { get; }

    /// <summary>The tables for <paramref name="state"/>, reusing or updating <paramref name="previous"/> where the state allows.</summary>
    public static DirectoryTables For(TenantState state, FrozenDictionary<string, int> groupOrdinals, DirectoryTables? previous, bool? parallel = null)
    {
        if (previous is null)
            return Build(state, Memberships.Of(state, parallel), groupOrdinals, parallel);
        var sameDirectory = ReferenceEquals(previous.Users, state.Users) && ReferenceEquals(previous.Groups, state.Groups);
        if (sameDirectory && ReferenceEquals(previous.GroupOrdinals, groupOrdinals))
            return previous;
        if (sameDirectory)
        {
            // A policy named a new group: every principal's ordinals are recomputed, the group tables stay.
            return new DirectoryTables(state.Users, state.Groups, groupOrdinals, previous.DirectGroups, previous.Parents, previous.Closure,
                AllPrincipals(state.Users, previous.DirectGroups, previous.Closure, groupOrdinals));
        }
        if (state.Delta is { } delta && ReferenceEquals(delta.PreviousUsers, previous.Users) && ReferenceEquals(delta.PreviousGroups, previous.Groups))
        {
            var updated = previous.Update(state, delta);
            return ReferenceEquals(previous.GroupOrdinals, groupOrdinals)
                ? updated
                : new DirectoryTables(state.Users, state.Groups, groupOrdinals, updated.DirectGroups, updated.Parents, updated.Closure,
                    AllPrincipals(state.Users, updated.DirectGroups, updated.Closure, groupOrdinals));
        }
        return Build(state, Memberships.Of(state, parallel), groupOrdinals, parallel);
    }

    public static DirectoryTables Build(TenantState state, FrozenDictionary<string, int> groupOrdinals) =>
        Build(state, Memberships.Of(state), groupOrdinals, parallel: null);

    /// <summary>
    /// The tables from scratch. On a large tenant (<see cref="ParallelBuild"/>) the users are placed on all cores, each
    /// into its own place, and the tables are then filled in the order one loop gives, so both paths make the same tables.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // one call, a million iterations: optimized code from the start
    public static DirectoryTables Build(TenantState state, Memberships memberships, FrozenDictionary<string, int> groupOrdinals, bool? parallel)
    {
        var parentTable = ShardedTable<string[]>.From(Sorted(memberships.Parents));
        if (ParallelBuild.Pays(state.Users.Count + memberships.Ids.Count, parallel))
            return BuildParallel(state, memberships, parentTable, groupOrdinals);

        // One pass per user computes their direct groups, their groups through nesting and their principal entry
        // together: no table is read back while the next is built (each read back was a random access per user).
        var ids = memberships.Ids;
        var ancestors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var directItems = new List<KeyValuePair<string, string[]>>(ids.Count);
        var closureItems = new List<KeyValuePair<string, string[]>>(ids.Count);
        var principals = new List<KeyValuePair<string, Principal>>(state.Users.Count + ids.Count);
        var listed = new bool[ids.Count];
        foreach (var (id, fact) in state.Users)
        {
            if (memberships.TryGetMember(id, out var m))
            {
                listed[m] = true;
                principals.Add(new(id, Member(id, fact, memberships.IdsOf(m), parentTable, ancestors, groupOrdinals, directItems, closureItems)));
            }
            else
                principals.Add(new(id, PrincipalOf(fact, [], groupOrdinals)));
        }
        // Group members the directory does not list as users (an agent's owner, a guest) are principals too.
        for (var m = 0; m < ids.Count; m++)
        {
            if (!listed[m])
                principals.Add(new(ids[m], Member(ids[m], null, memberships.IdsOf(m), parentTable, ancestors, groupOrdinals, directItems, closureItems)));
        }
        return new DirectoryTables(state.Users, state.Groups, groupOrdinals, ShardedTable<string[]>.From(directItems), parentTable,
            ShardedTable<string[]>.From(closureItems), ShardedTable<Principal>.From(principals, compactKeys: true));
    }

    /// <summary>
    /// <see cref="Build(TenantState, Memberships, FrozenDictionary{string, int}, bool?)"/> on all cores, and by group
    /// number rather than by id: the groups are numbered in the ordinal order of their ids, so sorting numbers sorts as
    /// the ids sort, and a group's ancestors and policy ordinal are array reads instead of string hashes and compares.
    /// Each user and member is computed into a place of its own, then the tables are filled in the order the loop
    /// fills them and made side by side — the same arrays (shared where the loop shares them) in the same order.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static DirectoryTables BuildParallel(TenantState state, Memberships memberships, ShardedTable<string[]> parentTable, FrozenDictionary<string, int> groupOrdinals)
    {
        var groupsOf = GroupNumbers.For(memberships, groupOrdinals);
        var ids = memberships.Ids;
        var users = state.Users.ToArray();
        var direct = new string[ids.Count][];
        var closure = new string[ids.Count][];
        var memberOf = new int[users.Length]; // user → member number, or −1
        var listed = new bool[ids.Count];
        var principals = new List<KeyValuePair<string, Principal>>(users.Length + ids.Count);
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(principals, users.Length);
        ParallelBuild.For(users.Length, (start, end) =>
        {
            var placed = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(principals);
            for (var i = start; i < end; i++)
            {
                var (id, fact) = users[i];
                if (memberships.TryGetMember(id, out var m))
                {
                    memberOf[i] = m;
                    listed[m] = true;
                    placed[i] = new(id, groupsOf.Member(m, fact, direct, closure));
                }
                else
                {
                    memberOf[i] = -1;
                    placed[i] = new(id, PrincipalOf(fact, [], groupOrdinals));
                }
            }
        });
        // Group members the directory does not list as users (an agent's owner, a guest) are principals too.
        var unlisted = new Principal[ids.Count];
        ParallelBuild.For(ids.Count, (start, end) =>
        {
            for (var m = start; m < end; m++)
            {
                if (!listed[m])
                    unlisted[m] = groupsOf.Member(m, null, direct, closure);
            }
        });

        var directItems = new List<KeyValuePair<string, string[]>>(ids.Count);
        var closureItems = new List<KeyValuePair<string, string[]>>(ids.Count);
        for (var i = 0; i < users.Length; i++)
        {
            if (memberOf[i] is var m and >= 0)
            {
                directItems.Add(new(users[i].Key, direct[m]));
                closureItems.Add(new(users[i].Key, closure[m]));
            }
        }
        for (var m = 0; m < ids.Count; m++)
        {
            if (!listed[m])
            {
                directItems.Add(new(ids[m], direct[m]));
                closureItems.Add(new(ids[m], closure[m]));
                principals.Add(new(ids[m], unlisted[m]));
            }
        }
        ShardedTable<string[]> directTable = null!, closureTable = null!;
        ShardedTable<Principal> principalTable = null!;
        ParallelBuild.Invoke(
            () => directTable = ShardedTable<string[]>.From(directItems),
            () => closureTable = ShardedTable<string[]>.From(closureItems),
            () => principalTable = ShardedTable<Principal>.From(principals, compactKeys: true));
        return new DirectoryTables(state.Users, state.Groups, groupOrdinals, directTable, parentTable, closureTable, principalTable);
    }

    /// <summary>A group member's entries: direct groups and closure appended to their tables, the principal returned.</summary>
    private static Principal Member(string id, UserFact? fact, Span<string> groups, ShardedTable<string[]> parents, Dictionary<string, string[]> ancestors,
        FrozenDictionary<string, int> groupOrdinals, List<KeyValuePair<string, string[]>> directItems, List<KeyValuePair<string, string[]>> closureItems)
    {
        var sorted = SortedDistinct(groups);
        directItems.Add(new(id, sorted));
        var closure = ClosureOf(sorted, parents, ancestors);
        closureItems.Add(new(id, closure));
        return PrincipalOf(fact, closure, groupOrdinals);
    }

    /// <summary>
    /// The tables after the changes of <paramref name="delta"/>: the changed groups' member diffs patch the direct-group
    /// and parent tables; the users whose groups can have changed — members added or removed, changed user documents,
    /// and, when nesting changed, the direct members of every group below a re-parented one — get their entries anew.
    /// </summary>
    private DirectoryTables Update(TenantState state, DirectoryDelta delta)
    {
        var directEdits = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var parentEdits = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var reparented = new List<string>();
        foreach (var groupId in delta.Groups)
        {
            var before = delta.PreviousGroups.GetValueOrDefault(groupId);
            var after = state.Groups.GetValueOrDefault(groupId);
            Diff(before?.MemberUsers, after?.MemberUsers, groupId, DirectGroups, directEdits, null);
            Diff(before?.MemberGroups, after?.MemberGroups, groupId, Parents, parentEdits, reparented);
        }
        var directGroups = DirectGroups.With(directEdits.Select(e => e.Value.Count == 0 ? TableEdit<string[]>.Delete(e.Key) : TableEdit<string[]>.Set(e.Key, [.. e.Value])));
        var parents = Parents.With(parentEdits.Select(e => e.Value.Count == 0 ? TableEdit<string[]>.Delete(e.Key) : TableEdit<string[]>.Set(e.Key, [.. e.Value])));

        var affected = new HashSet<string>(directEdits.Keys, StringComparer.Ordinal);
        affected.UnionWith(delta.Users);
        if (reparented.Count > 0)
        {
            // Below a group whose parents changed, every group's ancestors may have changed, and so every direct member's groups.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<string>(reparented);
            while (stack.Count > 0)
            {
                var groupId = stack.Pop();
                if (!seen.Add(groupId))
                    continue;
                foreach (var fact in new[] { state.Groups.GetValueOrDefault(groupId), delta.PreviousGroups.GetValueOrDefault(groupId) })
                {
                    if (fact is null)
                        continue;
                    affected.UnionWith(fact.MemberUsers);
                    foreach (var child in fact.MemberGroups)
                        stack.Push(child);
                }
            }
        }

        var ancestors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var closureEdits = new List<TableEdit<string[]>>(affected.Count);
        var principalEdits = new List<TableEdit<Principal>>(affected.Count);
        foreach (var user in affected)
        {
            if (directGroups.TryGetValue(user, out var groups))
            {
                var closure = ClosureOf(groups, parents, ancestors);
                closureEdits.Add(TableEdit<string[]>.Set(user, closure));
                principalEdits.Add(TableEdit<Principal>.Set(user, PrincipalOf(state.Users.GetValueOrDefault(user), closure, GroupOrdinals)));
            }
            else
            {
                closureEdits.Add(TableEdit<string[]>.Delete(user));
                principalEdits.Add(state.Users.TryGetValue(user, out var fact)
                    ? TableEdit<Principal>.Set(user, PrincipalOf(fact, [], GroupOrdinals))
                    : TableEdit<Principal>.Delete(user));
            }
        }
        return new DirectoryTables(state.Users, state.Groups, GroupOrdinals, directGroups, parents, Closure.With(closureEdits), Principals.With(principalEdits));
    }

    /// <summary>
    /// For a group's member list before and after: each added member gets <paramref name="groupId"/> in its entry,
    /// each removed member loses it (entries start from <paramref name="table"/>); changed members go to <paramref name="changed"/>.
    /// </summary>
    private static void Diff(IReadOnlyList<string>? before, IReadOnlyList<string>? after, string groupId, ShardedTable<string[]> table,
        Dictionary<string, SortedSet<string>> edits, List<string>? changed)
    {
        var old = new HashSet<string>(before ?? [], StringComparer.Ordinal);
        var now = new HashSet<string>(after ?? [], StringComparer.Ordinal);
        foreach (var member in old)
        {
            if (!now.Contains(member))
                Entry(member).Remove(groupId);
        }
        foreach (var member in now)
        {
            if (!old.Contains(member))
                Entry(member).Add(groupId);
        }

        SortedSet<string> Entry(string member)
        {
            changed?.Add(member);
            if (!edits.TryGetValue(member, out var set))
                edits[member] = set = new SortedSet<string>(table.GetValueOrDefault(member) ?? [], StringComparer.Ordinal);
            return set;
        }
    }

    private static ShardedTable<Principal> AllPrincipals(ImmutableDictionary<string, UserFact> users, ShardedTable<string[]> directGroups, ShardedTable<string[]> closure,
        FrozenDictionary<string, int> groupOrdinals)
    {
        var result = new List<KeyValuePair<string, Principal>>(users.Count + directGroups.Count);
        foreach (var (id, fact) in users)
            result.Add(new(id, PrincipalOf(fact, closure.GetValueOrDefault(id) ?? [], groupOrdinals)));
        // Group members the directory does not list as users (an agent's owner, a guest) are principals too.
        foreach (var (id, groups) in closure.Items)
        {
            if (!users.ContainsKey(id))
                result.Add(new(id, PrincipalOf(null, groups, groupOrdinals)));
        }
        return ShardedTable<Principal>.From(result, compactKeys: true);
    }

    private static Principal PrincipalOf(UserFact? fact, string[] closure, FrozenDictionary<string, int> groupOrdinals)
    {
        // One buffer per thread: the principal copies the ordinals, and a full build makes a million of them.
        var ordinals = t_ordinals ??= [];
        ordinals.Clear();
        foreach (var group in closure)
        {
            if (groupOrdinals.TryGetValue(group, out var ordinal))
                ordinals.Add(ordinal);
        }
        return new Principal(fact, ordinals);
    }

    /// <summary>The groups a user with <paramref name="direct"/> groups is in: each with its ancestors, once, ordinal order.</summary>
    private static string[] ClosureOf(string[] direct, ShardedTable<string[]> parents, Dictionary<string, string[]> ancestors)
    {
        if (direct.Length == 1)
            return AncestorsOrSelf(direct[0], parents, ancestors);
        var all = new List<string>(direct.Length * 2);
        var nested = false;
        foreach (var group in direct)
        {
            var up = AncestorsOrSelf(group, parents, ancestors);
            nested |= up.Length > 1;
            all.AddRange(up);
        }
        // Without nesting the closure is the direct list (already sorted and distinct): share the array.
        return nested ? SortedDistinct(all) : direct;
    }

    private static string[] AncestorsOrSelf(string groupId, ShardedTable<string[]> parents, Dictionary<string, string[]> known)
    {
        if (!known.TryGetValue(groupId, out var result))
            known[groupId] = result = AncestorsOrSelf(groupId, parents);
        return result;
    }

    private static string[] AncestorsOrSelf(string groupId, ShardedTable<string[]> parents)
    {
        if (!parents.TryGetValue(groupId, out var direct))
            return [groupId];
        // Iterative walk: nesting may be deep, and cycles must not loop.
        var seen = new HashSet<string>(StringComparer.Ordinal) { groupId };
        var stack = new Stack<string>(direct);
        while (stack.Count > 0)
        {
            var group = stack.Pop();
            if (!seen.Add(group))
                continue;
            foreach (var parent in parents.GetValueOrDefault(group) ?? [])
                stack.Push(parent);
        }
        return SortedDistinct(seen.ToArray().AsSpan());
    }

    private static string[] SortedDistinct(List<string> values) => SortedDistinct(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));

    private static string[] SortedDistinct(Span<string> values)
    {
        values.Sort(StringComparer.Ordinal);
        var distinct = values.Length == 0 ? 0 : 1;
        for (var i = 1; i < values.Length; i++)
        {
            if (!string.Equals(values[i], values[distinct - 1], StringComparison.Ordinal))
                values[distinct++] = values[i];
        }
        return values[..distinct].ToArray();
    }

    private static List<KeyValuePair<string, string[]>> Sorted(Dictionary<string, List<string>> map)
    {
        var result = new List<KeyValuePair<string, string[]>>(map.Count);
        foreach (var (key, values) in map)
            result.Add(new(key, SortedDistinct(values)));
        return result;
    }
}
