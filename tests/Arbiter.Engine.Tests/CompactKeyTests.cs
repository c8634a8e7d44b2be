using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Tests;

/// <summary>
/// Table slots compare packed keys instead of strings (<see cref="CompactKey"/>): two keys may pack equal only when they
/// are the same string, whatever their spelling — near-twins (a trailing NUL, upper-case GUIDs, braces, non-ASCII) included.
/// </summary>
public sealed class CompactKeyTests
{
    [Fact]
    public void SameAs_NearTwinKeys_OnlyForEqualStrings()
    {
        var rng = new Random(7);
        var guid = Guid.NewGuid();
        var keys = new List<string>
        {
            "", "a", "a\0", "\0a", "u000001", "u000001 ", "é", "e", "0123456789abcdef", "0123456789abcdefg",
            guid.ToString("D"), guid.ToString("D").ToUpperInvariant(), guid.ToString("B"), " " + guid.ToString("D"), guid.ToString("N"),
            Guid.Empty.ToString("D"), new string('0', 36),
        };
        for (var i = 0; i < 200; i++)
        {
            var length = rng.Next(20);
            keys.Add(new string([.. Enumerable.Range(0, length).Select(_ => (char)rng.Next(rng.Next(8) == 0 ? 300 : 128))]));
        }
        keys.AddRange(keys.Where(k => k.Length > 0).Select(k => k[..^1]).ToList());

        foreach (var a in keys)
        {
            var ka = CompactKey.Of(a);
            foreach (var b in keys)
            {
                var kb = CompactKey.Of(b);
                var packedEqual = ka.Kind != 0 && ka.Kind == kb.Kind && ka.SameAs(kb);
                if (packedEqual)
                    Assert.Equal(a, b);
                if (a == b)
                    Assert.Equal(ka.Kind, kb.Kind);
                if (a == b && ka.Kind != 0)
                    Assert.True(packedEqual);
            }
        }
        Assert.Equal(36, CompactKey.Of(guid.ToString("D")).Kind);
        Assert.Equal(0, CompactKey.Of(guid.ToString("D").ToUpperInvariant()).Kind);
        Assert.Equal(0, CompactKey.Of("é").Kind);
        Assert.Equal(7, CompactKey.Of("u000001").Kind);
    }

    [Fact]
    public void TryGetValue_GuidKeysAndTheirUpperCaseSpellings_FindsOnlyTheStoredSpelling()
    {
        var guids = Enumerable.Range(0, 2000).Select(_ => Guid.NewGuid().ToString("D")).ToList();
        var table = ShardedTable<int>.From([.. guids.Select((g, i) => new KeyValuePair<string, int>(g, i))], compactKeys: true);

        Assert.All(guids, g => Assert.Equal(guids.IndexOf(g), table.TryGetValue(g, out var i) ? i : -1));
        Assert.All(guids, g => Assert.False(table.ContainsKey(g.ToUpperInvariant())));
        Assert.False(table.ContainsKey(Guid.Empty.ToString("D")));
    }
}
