using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Every membership of a tenant's groups, grouped by member, and every group's parents: what a full build of the
/// <see cref="DirectoryTables"/> starts from. It reads the groups alone, not the policies, so on a large tenant it is
/// made while the policies are indexed (<see cref="PolicySnapshot"/>).
/// </summary>
internal sealed class Memberships
{
    private Memberships(GroupFact[] groups, Dictionary<string, int> numbers, List<string> ids, int[] starts, int[] positions, Dictionary<string, List<string>> parents)
    {
        Groups = groups;
        Numbers = numbers;
        Ids = ids;
        Starts = starts;
        Positions = positions;
        Parents = parents;
    }

    /// <summary>The group documents, in the state's order.</summary>
    public GroupFact[] Groups { get; }

    /// <summary>Member id → member number; numbers follow the order in which the groups first list each member.</summary>
    public Dictionary<string, int> Numbers { get; }

    /// <summary>Member number → member id.</summary>
    public List<string> Ids { get; }

    /// <summary>Member m's groups are <see cref="Positions"/>[Starts[m]..Starts[m + 1]] (one entry more than there are members).</summary>
    public int[] Starts { get; }

    /// <summary>Each member's groups as positions in <see cref="Groups"/>, in the order the groups list them, member after member.</summary>
    public int[] Positions { get; }

    /// <summary>Group id → the groups that list it in <c>memberGroups</c>, in the order they do.</summary>
    public Dictionary<string, List<string>> Parents { get; }

    /// <summary>Member m's groups, as positions in <see cref="Groups"/>.</summary>
    public ReadOnlySpan<int> Of(int member) => Positions.AsSpan(Starts[member], Starts[member + 1] - Starts[member]);

    /// <summary>Member m's group ids, in a new array (not yet sorted).</summary>
    public string[] IdsOf(int member)
    {
        var positions = Of(member);
        var ids = new string[positions.Length];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = Groups[positions[i]].Id;
        return ids;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // one call, a million iterations: optimized code from the start
    public static Memberships Of(TenantState state)
    {
        // Every membership grouped by member without a list per member — count, then place into one array: a million
        // growing lists would all stay alive, and be copied by the GC, until the tables are made. Sized up front: most
        // members are users, and growing a million-entry dictionary rehashes it a dozen times.
        var groups = state.Groups.Values.ToArray();
        var total = 0;
        foreach (var group in groups)
            total += group.MemberUsers.Count;
        var members = new Dictionary<string, int>(state.Users.Count, StringComparer.Ordinal); // member id → member number
        var ids = new List<string>(state.Users.Count);
        var counts = new List<int>(state.Users.Count);
        var numbers = new int[total]; // the member number of each membership, in the order the groups list them
        var parents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var k = 0;
        foreach (var group in groups)
        {
            foreach (var user in group.MemberUsers)
            {
                ref var number = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(members, user, out var known);
                if (!known)
                {
                    number = ids.Count;
                    ids.Add(user);
                    counts.Add(0);
                }
                counts[number]++;
                numbers[k++] = number;
            }
            foreach (var child in group.MemberGroups)
            {
                if (!parents.TryGetValue(child, out var list))
                    parents[child] = list = [];
                list.Add(group.Id);
            }
        }
        var starts = new int[ids.Count + 1];
        for (var m = 0; m < ids.Count; m++)
            starts[m + 1] = starts[m] + counts[m];
        var next = starts[..^1];
        var memberships = new int[total];
        k = 0;
        for (var g = 0; g < groups.Length; g++)
        {
            for (var i = 0; i < groups[g].MemberUsers.Count; i++)
                memberships[next[numbers[k++]]++] = g;
        }
        return new Memberships(groups, members, ids, starts, memberships, parents);
    }
}
