using System.Collections.Frozen;
using System.Diagnostics;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// A user (or a group member the directory does not list as a user, e.g. an agent's owner) as evaluation needs
/// them: the fact, if any, and the policy-named groups they are in — transitively — as ordinals into
/// <see cref="ActionIndex.ByGroup"/>, so scanning a user's group policies costs array reads, not string lookups.
/// Stored by value in the lookup, with up to <see cref="InlineGroups"/> ordinals inside it: finding a user is the
/// one random memory access over a large table each decision makes, so what it needs sits in the same place.
/// </summary>
internal readonly struct Principal
{
    private const int InlineGroups = 8;
    private readonly GroupSlots _inline;
    private readonly int[]? _overflow;

    public Principal(UserFact? fact, IReadOnlyList<int> policyGroups)
    {
        Fact = fact;
        Enabled = fact is { Enabled: true };
        GroupCount = policyGroups.Count;
        for (var i = 0; i < Math.Min(InlineGroups, policyGroups.Count); i++)
            _inline[i] = policyGroups[i];
        if (policyGroups.Count > InlineGroups)
            _overflow = [.. policyGroups.Skip(InlineGroups)];
    }

    public UserFact? Fact { get; }

    /// <summary>Copied from the fact: the one field every decision reads, without a second object to visit.</summary>
    public bool Enabled { get; }

    public int GroupCount { get; }

    public int Group(int i) => i < InlineGroups ? _inline[i] : _overflow![i - InlineGroups];

    public static readonly Principal Unknown = new(null, []);

    [System.Runtime.CompilerServices.InlineArray(InlineGroups)]
    private struct GroupSlots
    {
        private int _element;
    }
}
