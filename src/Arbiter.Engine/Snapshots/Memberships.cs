using System.Runtime.InteropServices;
using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// Every membership of a tenant's groups, grouped by member, and every group's parents: what a full build of the
/// <see cref="DirectoryTables"/> starts from. It reads the groups alone, not the policies, so on a large tenant it is
/// made while the policies are indexed (<see cref="PolicySnapshot"/>), and its members are numbered on all cores.
/// </summary>
internal sealed class Memberships
{
    // Member id → number in its partition (by the id's hash), and that partition's numbers → member numbers.
    private readonly Dictionary<string, int>[] _partitions;
    private readonly int[][] _numbers;

    private Memberships(GroupFact[] groups, Dictionary<string, int>[] partitions, int[][] numbers, List<string> ids, int[] starts, int[] positions,
        Dictionary<string, List<string>> parents)
    {
        Groups = groups;
        _partitions = partitions;
        _numbers = numbers;
        Ids = ids;
        Starts = starts;
        Positions = positions;
        Parents = parents;
    }

    /// <summary>The group documents, in the state's order.</summary>
    public GroupFact[] Groups { get; }

    /// <summary>Member number → member id; numbers follow the order in which the groups first list each member.</summary>
    public List<string> Ids { get; }

    /// <summary>Member m's groups are <see cref="Positions"/>[Starts[m]..Starts[m + 1]] (one entry more than there are members).</summary>
    public int[] Starts { get; }

    /// <summary>Each member's groups as positions in <see cref="Groups"/>, in the order the groups list them, member after member.</summary>
    public int[] Positions { get; }

    /// <summary>Group id → the groups that list it in <c>memberGroups</c>, in the order they do.</summary>
    public Dictionary<string, List<string>> Parents { get; }

    /// <summary>The member number of <paramref name="id"/>, when some group lists it.</summary>
    public bool TryGetMember(string id, out int member)
    {
        var p = _partitions.Length == 1 ? 0 : PartitionOf(id, _partitions.Length);
        if (_partitions[p].TryGetValue(id, out var local))
        {
            member = _numbers[p] is { } numbers ? numbers[local] : local;
            return true;
        }
        member = -1;
        return false;
    }

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

    public static Memberships Of(TenantState state) => Of(state, parallel: null);

    /// <summary>
    /// The memberships of <paramref name="state"/>. Members are numbered in the order the groups first list them; on a
    /// large tenant (<see cref="ParallelBuild"/>) each core numbers the members of its partition (by the id's hash) —
    /// a dictionary of a million ids is a cache miss or two per membership, and there are several memberships per
    /// user — and the partitions' numbers are merged by first listing, which gives the loop's numbering.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // one call, a million iterations: optimized code from the start
    public static Memberships Of(TenantState state, bool? parallel)
    {
        // Every membership grouped by member without a list per member — count, then place into one array: a million
        // growing lists would all stay alive, and be copied by the GC, until the tables are made. Sized up front: most
        // members are users, and growing a million-entry dictionary rehashes it a dozen times.
        var groups = state.Groups.Values.ToArray();
        var firstOf = new int[groups.Length + 1]; // group g's memberships are numbered firstOf[g]..firstOf[g + 1]
        for (var g = 0; g < groups.Length; g++)
            firstOf[g + 1] = firstOf[g] + groups[g].MemberUsers.Count;
        var total = firstOf[^1];
        var numbers = new int[total]; // the member number of each membership, in the order the groups list them
        List<string> ids;
        Dictionary<string, int>[] partitions;
        int[][] toMember;
        if (ParallelBuild.Pays(total, parallel))
            (ids, partitions, toMember) = NumberInPartitions(groups, firstOf, numbers, Math.Clamp(Environment.ProcessorCount, 2, 8), state.Users.Count);
        else
        {
            var members = new Dictionary<string, int>(state.Users.Count, StringComparer.Ordinal); // member id → member number
            ids = new List<string>(state.Users.Count);
            var k = 0;
            foreach (var group in groups)
            {
                foreach (var user in group.MemberUsers)
                {
                    ref var number = ref CollectionsMarshal.GetValueRefOrAddDefault(members, user, out var known);
                    if (!known)
                    {
                        number = ids.Count;
                        ids.Add(user);
                    }
                    numbers[k++] = number;
                }
            }
            partitions = [members];
            toMember = [null!];
        }
        var parents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            foreach (var child in group.MemberGroups)
            {
                if (!parents.TryGetValue(child, out var list))
                    parents[child] = list = [];
                list.Add(group.Id);
            }
        }
        var starts = new int[ids.Count + 1];
        foreach (var number in numbers)
            starts[number + 1]++;
        for (var m = 0; m < ids.Count; m++)
            starts[m + 1] += starts[m];
        var next = starts[..^1];
        var memberships = new int[total];
        var n = 0;
        for (var g = 0; g < groups.Length; g++)
        {
            for (var i = 0; i < groups[g].MemberUsers.Count; i++)
                memberships[next[numbers[n++]]++] = g;
        }
        return new Memberships(groups, partitions, toMember, ids, starts, memberships, parents);
    }

    /// <summary>
    /// Numbers the members partition by partition, each on a core of its own; fills <paramref name="numbers"/> with the
    /// member number of each membership and returns the members in order, the partitions, and each partition's map to
    /// member numbers.
    /// </summary>
    private static (List<string> Ids, Dictionary<string, int>[] Partitions, int[][] ToMember) NumberInPartitions(
        GroupFact[] groups, int[] firstOf, int[] numbers, int count, int users)
    {
        // Which partition each membership's member is in, hashed once, on all cores.
        var partitionOf = new byte[numbers.Length];
        ParallelBuild.For(groups.Length, (start, end) =>
        {
            for (var g = start; g < end; g++)
            {
                var members = groups[g].MemberUsers;
                for (var i = 0; i < members.Count; i++)
                    partitionOf[firstOf[g] + i] = (byte)PartitionOf(members[i], count);
            }
        });
        var partitions = new Dictionary<string, int>[count];
        var listedFirst = new List<int>[count]; // per partition: each member's first membership, in member order
        var partitionIds = new List<string>[count];
        // Each partition keeps its memberships' numbers in a list of its own: writing them into one shared array, at
        // interleaved places, would have the cores fight over its cache lines.
        var local = new List<int>[count];
        ParallelBuild.Invoke([.. Enumerable.Range(0, count).Select(p => (Action)(() =>
        {
            var members = partitions[p] = new Dictionary<string, int>(users / count + 1, StringComparer.Ordinal);
            var first = listedFirst[p] = new List<int>(users / count + 1);
            var ids = partitionIds[p] = new List<string>(users / count + 1);
            var order = local[p] = new List<int>(numbers.Length / count + 1);
            for (var g = 0; g < groups.Length; g++)
            {
                var listed = groups[g].MemberUsers;
                for (var i = 0; i < listed.Count; i++)
                {
                    var k = firstOf[g] + i;
                    if (partitionOf[k] != p)
                        continue;
                    ref var number = ref CollectionsMarshal.GetValueRefOrAddDefault(members, listed[i], out var known);
                    if (!known)
                    {
                        number = ids.Count;
                        ids.Add(listed[i]);
                        first.Add(k);
                    }
                    order.Add(number);
                }
            }
        }))]);

        // Member numbers in order of first listing, as one loop gives them: merge the partitions by first membership.
        var all = new List<string>(partitionIds.Sum(ids => ids.Count));
        var toMember = new int[count][];
        var at = new int[count];
        for (var p = 0; p < count; p++)
            toMember[p] = new int[partitionIds[p].Count];
        while (true)
        {
            var next = -1;
            for (var p = 0; p < count; p++)
            {
                if (at[p] < listedFirst[p].Count && (next < 0 || listedFirst[p][at[p]] < listedFirst[next][at[next]]))
                    next = p;
            }
            if (next < 0)
                break;
            toMember[next][at[next]] = all.Count;
            all.Add(partitionIds[next][at[next]++]);
        }
        var taken = new int[count];
        for (var k = 0; k < numbers.Length; k++)
        {
            var p = partitionOf[k];
            numbers[k] = toMember[p][local[p][taken[p]++]];
        }
        return (all, partitions, toMember);
    }

    private static int PartitionOf(string id, int count) => (int)((uint)StringComparer.Ordinal.GetHashCode(id) % (uint)count);
}
