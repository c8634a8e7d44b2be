using System.Collections.Frozen;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// An immutable table by string key, split by the key's hash into shards of a few hundred entries, each a frozen
/// dictionary. <see cref="With"/> returns a new table that shares every shard it did not touch, so changing k keys
/// costs k shards (a few hundred entries each) and one array of shard references, not the whole table — a published
/// table is never mutated, so decisions may read it while the next one is built. Reading costs one string hash and
/// one frozen-dictionary lookup.
/// </summary>
internal sealed class ShardedTable<TValue>
{
    /// <summary>Aimed-for entries per shard: small enough to copy in microseconds, large enough that the shard array stays small.</summary>
    private const int ShardSize = 256;

    private static readonly FrozenDictionary<string, TValue> EmptyShard = FrozenDictionary<string, TValue>.Empty;

    private readonly FrozenDictionary<string, TValue>[] _shards;
    private readonly int _mask;

    private ShardedTable(FrozenDictionary<string, TValue>[] shards, int count)
    {
        _shards = shards;
        _mask = shards.Length - 1;
        Count = count;
    }

    public static ShardedTable<TValue> Empty { get; } = new([EmptyShard], 0);

    public int Count { get; }

    /// <summary>How many shards the table has (for tests and figures).</summary>
    public int ShardCount => _shards.Length;

    public static ShardedTable<TValue> From(IReadOnlyCollection<KeyValuePair<string, TValue>> items)
    {
        var shardCount = ShardCountFor(items.Count);
        var buckets = new List<KeyValuePair<string, TValue>>?[shardCount];
        foreach (var item in items)
            (buckets[ShardOf(item.Key, shardCount - 1)] ??= []).Add(item);
        var shards = new FrozenDictionary<string, TValue>[shardCount];
        for (var i = 0; i < shardCount; i++)
            shards[i] = buckets[i] is { } bucket ? bucket.ToFrozenDictionary(StringComparer.Ordinal) : EmptyShard;
        return new ShardedTable<TValue>(shards, items.Count);
    }

    public bool TryGetValue(string key, out TValue value)
    {
        // The frozen shard hashes the key again with its own (cheaper, key-set-specific) function.
        return _shards[ShardOf(key, _mask)].TryGetValue(key, out value!);
    }

    public TValue? GetValueOrDefault(string key) => TryGetValue(key, out var value) ? value : default;

    public bool ContainsKey(string key) => _shards[ShardOf(key, _mask)].ContainsKey(key);

    /// <summary>Whether this table and <paramref name="other"/> hold the same shard at <paramref name="index"/> (what a change copied).</summary>
    public bool SharesShard(ShardedTable<TValue> other, int index) => ReferenceEquals(_shards[index], other._shards[index]);

    public IEnumerable<KeyValuePair<string, TValue>> Items => _shards.SelectMany(shard => shard);

    /// <summary>
    /// A new table with <paramref name="edits"/> applied (a key set or removed; the last edit of a key wins). Only the
    /// shards that hold an edited key are copied; when the table has outgrown its shard count fourfold it is split anew.
    /// </summary>
    public ShardedTable<TValue> With(IEnumerable<TableEdit<TValue>> edits)
    {
        Dictionary<int, Dictionary<string, TValue>>? touched = null;
        var count = Count;
        foreach (var edit in edits)
        {
            touched ??= [];
            var s = ShardOf(edit.Key, _mask);
            if (!touched.TryGetValue(s, out var shard))
                touched[s] = shard = new Dictionary<string, TValue>(_shards[s], StringComparer.Ordinal);
            if (edit.Remove)
            {
                if (shard.Remove(edit.Key))
                    count--;
            }
            else
            {
                if (!shard.ContainsKey(edit.Key))
                    count++;
                shard[edit.Key] = edit.Value!;
            }
        }
        if (touched is null)
            return this;
        var shards = (FrozenDictionary<string, TValue>[])_shards.Clone();
        foreach (var (s, shard) in touched)
            shards[s] = shard.Count == 0 ? EmptyShard : shard.ToFrozenDictionary(StringComparer.Ordinal);
        var table = new ShardedTable<TValue>(shards, count);
        // Growth re-splits the table once per fourfold growth: amortized, it stays proportional to the changes.
        return count > ShardSize * 4 * shards.Length ? From([.. table.Items]) : table;
    }

    private static int ShardCountFor(int count)
    {
        var shards = 1;
        while (shards * ShardSize < count && shards < (1 << 20))
            shards <<= 1;
        return shards;
    }

    /// <summary>
    /// The ordinal string hash (randomized per process, so keys written by a caller cannot be chosen to pile into one
    /// shard), high bits first: the frozen shard uses its own function, so the shard index does not correlate with it.
    /// </summary>
    private static int ShardOf(string key, int mask) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) * 0x9E3779B9u >> 12) & mask;
}

/// <summary>One change to a <see cref="ShardedTable{TValue}"/>: set <see cref="Key"/> to <see cref="Value"/>, or remove it.</summary>
internal readonly record struct TableEdit<TValue>(string Key, TValue? Value, bool Remove)
{
    public static TableEdit<TValue> Set(string key, TValue value) => new(key, value, false);

    public static TableEdit<TValue> Delete(string key) => new(key, default, true);
}
