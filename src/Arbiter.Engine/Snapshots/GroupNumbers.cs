using System.Collections.Frozen;
using System.Runtime.InteropServices;
using Arbiter.Engine.Directory;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// A full build's groups by number, for placing a million members (<see cref="DirectoryTables"/> on all cores): the
/// groups are numbered in the ordinal order of their ids, so sorting numbers sorts as the ids sort, and a group's
/// ancestors and policy ordinal are array reads instead of string hashes and compares. <see cref="Member"/> gives what
/// the by-id loop gives — the direct groups sorted and distinct, the closure (a one-group member's is that group's
/// ancestor array, shared; a member without nesting's is its direct array), the policy ordinals in closure order.
/// Read-only once made: any thread.
/// </summary>
internal sealed class GroupNumbers
{
    [ThreadStatic]
    private static List<int>? t_closure;

    [ThreadStatic]
    private static List<int>? t_ordinals;

    private readonly Memberships _memberships;
    private readonly int[] _numberOf; // position in Memberships.Groups → number
    private readonly string[] _ids; // number → group id
    private readonly int[][] _up; // number → the group and its ancestors, by number (groups that list users only)
    private readonly string[][] _upIds; // the same, as ids: the array a one-group member's closure is
    private readonly int[] _ordinalOf; // number → policy ordinal, or −1

    private GroupNumbers(Memberships memberships, int[] numberOf, string[] ids, int[][] up, string[][] upIds, int[] ordinalOf)
    {
        _memberships = memberships;
        _numberOf = numberOf;
        _ids = ids;
        _up = up;
        _upIds = upIds;
        _ordinalOf = ordinalOf;
    }

    public static GroupNumbers For(Memberships memberships, FrozenDictionary<string, int> groupOrdinals)
    {
        var groups = memberships.Groups;
        var positions = new int[groups.Length];
        var ids = new string[groups.Length];
        for (var g = 0; g < groups.Length; g++)
        {
            positions[g] = g;
            ids[g] = groups[g].Id;
        }
        Array.Sort(ids, positions, StringComparer.Ordinal); // positions[n] = where group number n is in the state's order
        var numberOf = new int[groups.Length];
        var numbers = new Dictionary<string, int>(groups.Length, StringComparer.Ordinal);
        var ordinalOf = new int[groups.Length];
        for (var n = 0; n < positions.Length; n++)
        {
            numberOf[positions[n]] = n;
            numbers[ids[n]] = n;
            ordinalOf[n] = groupOrdinals.TryGetValue(ids[n], out var ordinal) ? ordinal : -1;
        }
        // Parents are groups by construction (a group's memberGroups name the children); a child no group document
        // describes is never reached from a member, as only groups that list users are walked up from.
        var parentsOf = new int[groups.Length][];
        foreach (var (child, parents) in memberships.Parents)
        {
            if (numbers.TryGetValue(child, out var n))
                parentsOf[n] = [.. parents.Select(p => numbers[p])];
        }
        // The loop asks for the ancestors of each group that lists a user, and of no other: the same groups, the same arrays.
        var up = new int[groups.Length][];
        var upIds = new string[groups.Length][];
        ParallelBuild.For(groups.Length, (start, end) =>
        {
            for (var n = start; n < end; n++)
            {
                if (groups[positions[n]].MemberUsers.Count > 0)
                    upIds[n] = IdsOf(up[n] = AncestorsOrSelf(n, parentsOf), ids);
            }
        });
        return new GroupNumbers(memberships, numberOf, ids, up, upIds, ordinalOf);
    }

    /// <summary>Member <paramref name="m"/>'s direct groups and closure, each into its own place of the arrays, and their principal.</summary>
    public Principal Member(int m, UserFact? fact, string[][] direct, string[][] closure)
    {
        var positions = _memberships.Of(m);
        Span<int> sorted = positions.Length <= 64 ? stackalloc int[positions.Length] : new int[positions.Length];
        for (var i = 0; i < positions.Length; i++)
            sorted[i] = _numberOf[positions[i]];
        sorted = SortDistinct(sorted);
        var directIds = direct[m] = IdsOf(sorted, _ids);

        var all = t_closure ??= [];
        all.Clear();
        if (sorted.Length == 1)
        {
            closure[m] = _upIds[sorted[0]];
            all.AddRange(_up[sorted[0]]);
        }
        else
        {
            var nested = false;
            foreach (var n in sorted)
            {
                nested |= _up[n].Length > 1;
                all.AddRange(_up[n]);
            }
            if (nested)
            {
                CollectionsMarshal.SetCount(all, SortDistinct(CollectionsMarshal.AsSpan(all)).Length);
                closure[m] = IdsOf(CollectionsMarshal.AsSpan(all), _ids);
            }
            else
                closure[m] = directIds; // without nesting the closure is the direct list: the loop shares the array too
        }

        // The principal copies the ordinals out of the thread's buffer.
        var ordinals = t_ordinals ??= [];
        ordinals.Clear();
        foreach (var n in all)
        {
            if (_ordinalOf[n] >= 0)
                ordinals.Add(_ordinalOf[n]);
        }
        return new Principal(fact, ordinals);
    }

    /// <summary>Group number <paramref name="n"/> and every group above it, once each, in number order; iterative, as nesting may be deep or cyclic.</summary>
    private static int[] AncestorsOrSelf(int n, int[][] parentsOf)
    {
        if (parentsOf[n] is not { } direct)
            return [n];
        var seen = new HashSet<int> { n };
        var stack = new Stack<int>(direct);
        while (stack.Count > 0)
        {
            var group = stack.Pop();
            if (!seen.Add(group))
                continue;
            foreach (var parent in parentsOf[group] ?? [])
                stack.Push(parent);
        }
        var all = seen.ToArray();
        Array.Sort(all);
        return all;
    }

    private static Span<int> SortDistinct(Span<int> values)
    {
        values.Sort();
        var distinct = values.Length == 0 ? 0 : 1;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] != values[distinct - 1])
                values[distinct++] = values[i];
        }
        return values[..distinct];
    }

    private static string[] IdsOf(ReadOnlySpan<int> numbers, string[] ids)
    {
        var result = new string[numbers.Length];
        for (var i = 0; i < result.Length; i++)
            result[i] = ids[numbers[i]];
        return result;
    }
}
