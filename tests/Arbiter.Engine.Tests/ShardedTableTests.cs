using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Tests;

/// <summary>The copy-on-write table behind the per-user tables, against a plain dictionary.</summary>
public sealed class ShardedTableTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    public void With_RandomSetsAndRemovalsThroughGrowth_HoldsWhatADictionaryHolds(int seed, bool compactKeys)
    {
        var rng = new Random(seed);
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = compactKeys ? ShardedTable<int>.From([], compactKeys: true) : ShardedTable<int>.Empty;
        var earlier = new List<(ShardedTable<int> Table, Dictionary<string, int> Contents)>();
        for (var round = 0; round < 60; round++)
        {
            var edits = new List<TableEdit<int>>();
            var count = 1 + rng.Next(800);
            for (var i = 0; i < count; i++)
            {
                var key = "k" + rng.Next(6000);
                if (rng.Next(4) == 0)
                {
                    edits.Add(TableEdit<int>.Delete(key));
                    expected.Remove(key);
                }
                else
                {
                    var value = rng.Next();
                    edits.Add(TableEdit<int>.Set(key, value));
                    expected[key] = value;
                }
            }
            table = table.With(edits);
            if (round % 10 == 0)
                earlier.Add((table, new Dictionary<string, int>(expected, StringComparer.Ordinal)));

            Assert.Equal(expected.Count, table.Count);
            Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), table.Items.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            for (var k = 0; k < 6000; k += 7)
                Assert.Equal(expected.TryGetValue("k" + k, out var v) ? v : -1, table.TryGetValue("k" + k, out var w) ? w : -1);
        }
        // The table grew past its first shard count, and every earlier table still holds what it held.
        Assert.True(table.ShardCount > 1);
        foreach (var (old, contents) in earlier)
        {
            Assert.Equal(contents.Count, old.Count);
            Assert.All(contents, kv => Assert.Equal(kv.Value, old.GetValueOrDefault(kv.Key)));
        }
    }

    [Fact]
    public void From_ManyKeys_FindsEachAndNoOther()
    {
        var items = Enumerable.Range(0, 20_000).Select(i => new KeyValuePair<string, int>("u" + i, i)).ToList();

        var table = ShardedTable<int>.From(items);

        Assert.Equal(20_000, table.Count);
        Assert.True(table.ShardCount >= 64);
        Assert.All(items, kv => Assert.Equal(kv.Value, table.GetValueOrDefault(kv.Key)));
        Assert.False(table.ContainsKey("u20000"));
        Assert.False(table.ContainsKey(""));
    }

    [Fact]
    public void With_OneKeyOfAFullBuild_CopiesOnlyItsShardAndLeavesTheBuildIntact()
    {
        // A full build keeps every shard in one array; a change must copy its shard out, never write into that array.
        var items = Enumerable.Range(0, 20_000).Select(i => new KeyValuePair<string, int>("u" + i, i)).ToList();
        var table = ShardedTable<int>.From(items);

        var changed = table.With([TableEdit<int>.Set("u7", -7), TableEdit<int>.Set("new", 1)]);

        var copied = Enumerable.Range(0, table.ShardCount).Count(i => !table.SharesShard(changed, i));
        Assert.InRange(copied, 1, 2);
        Assert.Equal(7, table.GetValueOrDefault("u7"));
        Assert.False(table.ContainsKey("new"));
        Assert.Equal(-7, changed.GetValueOrDefault("u7"));
        Assert.Equal(1, changed.GetValueOrDefault("new"));
        Assert.All(items.Where(kv => kv.Key != "u7"), kv => Assert.Equal(kv.Value, changed.GetValueOrDefault(kv.Key)));
        Assert.Equal(20_001, changed.Count);
    }
}
