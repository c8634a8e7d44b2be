using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// An immutable table by string key, split by the key's hash into shards of a few hundred entries, each a small
/// open-addressing array of (hash, key, value). <see cref="With"/> returns a new table that shares every shard it did
/// not touch, so changing k keys costs k shards and one array of shard references, not the whole table — a published
/// table is never mutated, so decisions may read it while the next one is built. A lookup hashes the key once and
/// reads the shard reference and region (small arrays that stay in cache), then the slot.
/// A full build (<see cref="From"/>) lays every shard out as a region of one array, so all its shards share one array
/// header: a lookup's null check on the shard's array then reads a line that stays in cache, where a shard array of
/// its own would cost a cache miss (and a page walk) of its own at a million keys. A changed shard gets its own array.
/// </summary>
internal sealed class ShardedTable<TValue>
{
    /// <summary>Aimed-for entries per shard: small enough to copy in microseconds, large enough that the shard array stays small.</summary>
    private const int ShardSize = 256;

    /// <summary>An empty shard: one free slot ends every probe.</summary>
    private static readonly Entry[] EmptyShard = new Entry[1];

    /// <summary>The array each shard lives in: for a full build, one array shared by all; a changed shard, its own.</summary>
    private readonly Entry[][] _shards;

    /// <summary>
    /// Where each shard starts in its array and its capacity − 1, beside the shard references: a lookup finds its slot
    /// without reading the array's length.
    /// </summary>
    private readonly Region[] _regions;
    private readonly int _shift;

    /// <summary>Whether slots carry packed keys (<see cref="CompactKey"/>): for the tables a decision reads; the others skip the packing.</summary>
    private readonly bool _compactKeys;

    private ShardedTable(Entry[][] shards, Region[] regions, int count, bool compactKeys)
    {
        Debug.Assert(regions.Length == shards.Length && shards.Select((shard, i) => regions[i].Start + regions[i].Capacity <= shard.Length).All(ok => ok));
        _shards = shards;
        _regions = regions;
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)shards.Length);
        Count = count;
        _compactKeys = compactKeys;
    }

    public static ShardedTable<TValue> Empty { get; } = new([EmptyShard], [new Region(0, 0)], 0, compactKeys: false);

    public int Count { get; }

    /// <summary>How many shards the table has (for tests and figures).</summary>
    public int ShardCount => _shards.Length;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // one call, a million iterations: optimized code from the start
    public static ShardedTable<TValue> From(IReadOnlyList<KeyValuePair<string, TValue>> items, bool compactKeys = false)
    {
        // Two passes (count per shard, then place), each key hashed once: a full build of a million entries copies each entry once.
        var shardCount = ShardCountFor(items.Count);
        var shift = 32 - System.Numerics.BitOperations.Log2((uint)shardCount);
        var sizes = new int[shardCount];
        var hashes = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
            sizes[ShardOf(hashes[i] = Hash(items[i].Key), shift)]++;
        // One array for all the shards, each a power-of-two region of it; an empty shard is the shared one-slot array.
        var regions = new Region[shardCount];
        var total = 0;
        for (var i = 0; i < shardCount; i++)
        {
            var capacity = sizes[i] == 0 ? 1 : CapacityFor(sizes[i]);
            regions[i] = new Region(sizes[i] == 0 ? 0 : total, capacity);
            if (sizes[i] != 0)
                total += capacity;
        }
        var all = new Entry[total];
        var shards = new Entry[shardCount][];
        for (var i = 0; i < shardCount; i++)
            shards[i] = sizes[i] == 0 ? EmptyShard : all;
        for (var i = 0; i < items.Count; i++)
        {
            var (key, value) = items[i];
            var s = ShardOf(hashes[i], shift);
            Place(all.AsSpan(regions[s].Start, regions[s].Capacity), new Entry(hashes[i], key, value, compactKeys));
        }
        return new ShardedTable<TValue>(shards, regions, items.Count, compactKeys);
    }

    public bool TryGetValue(string key, out TValue value)
    {
        var hash = Hash(key);
        var compact = _compactKeys ? CompactKey.Of(key) : default;
        var s = ShardOf(hash, _shift);
        var region = _regions[s];
        ref var slots = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_shards[s]), region.Start);
        var capacity = region.Capacity;
        for (var i = SlotOf(hash, capacity); ; i = i + 1 == capacity ? 0 : i + 1)
        {
            // In bounds: the region lies inside the array (see _regions); not reading the length spares a bounds check.
            ref readonly var entry = ref Unsafe.Add(ref slots, i);
            if (entry.Key is null)
                break;
            // A key that packs is compared in the slot; only one that does not is read as a string.
            if (entry.Hash == hash && entry.Compact.Kind == compact.Kind
                && (compact.Kind != 0 ? entry.Compact.SameAs(compact) : string.Equals(entry.Key, key, StringComparison.Ordinal)))
            {
                value = entry.Value;
                return true;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Starts loading the slot <paramref name="key"/> hashes to (<see cref="CacheLine"/>), so a lookup made soon after finds it in cache.</summary>
    public void Prefetch(string key)
    {
        var hash = Hash(key);
        var s = ShardOf(hash, _shift);
        var region = _regions[s];
        // By address, not through the reference: a null check would wait for the array's first line. For a full build's
        // table that line is shared by every shard and stays in cache; a changed shard's own array is asked for here too.
        var shard = _shards[s];
        CacheLine.Prefetch(shard, 0, 1);
        // The key's place and the slot after it: at two-thirds full a key is found within two slots more often than not.
        CacheLine.Prefetch(shard, CacheLine.ArrayDataOffset + (region.Start + SlotOf(hash, region.Capacity)) * Unsafe.SizeOf<Entry>(), 2 * Unsafe.SizeOf<Entry>());
    }

    public TValue? GetValueOrDefault(string key) => TryGetValue(key, out var value) ? value : default;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>Whether this table and <paramref name="other"/> hold the same shard at <paramref name="index"/> (what a change copied).</summary>
    public bool SharesShard(ShardedTable<TValue> other, int index) =>
        ReferenceEquals(_shards[index], other._shards[index]) && _regions[index] == other._regions[index];

    public IEnumerable<KeyValuePair<string, TValue>> Items =>
        Enumerable.Range(0, _shards.Length).SelectMany(s => ShardEntries(s).Where(e => e.Key is not null).Select(e => new KeyValuePair<string, TValue>(e.Key!, e.Value)));

    /// <summary>Shard <paramref name="s"/>'s slots (a copy: an iterator cannot hold a span).</summary>
    private Entry[] ShardEntries(int s) => _shards[s].AsSpan(_regions[s].Start, _regions[s].Capacity).ToArray();

    /// <summary>
    /// A new table with <paramref name="edits"/> applied (a key set or removed; the last edit of a key wins). Only the
    /// shards that hold an edited key are copied; when the table has outgrown its shard count fourfold it is split anew.
    /// </summary>
    public ShardedTable<TValue> With(IEnumerable<TableEdit<TValue>> edits)
    {
        Dictionary<int, Dictionary<string, (int Hash, TValue Value)>>? touched = null;
        var count = Count;
        foreach (var edit in edits)
        {
            touched ??= [];
            var hash = Hash(edit.Key);
            var s = ShardOf(hash, _shift);
            if (!touched.TryGetValue(s, out var shard))
            {
                touched[s] = shard = new Dictionary<string, (int, TValue)>(StringComparer.Ordinal);
                foreach (var entry in _shards[s].AsSpan(_regions[s].Start, _regions[s].Capacity))
                {
                    if (entry.Key is not null)
                        shard[entry.Key] = (entry.Hash, entry.Value);
                }
            }
            if (edit.Remove)
            {
                if (shard.Remove(edit.Key))
                    count--;
            }
            else
            {
                if (!shard.ContainsKey(edit.Key))
                    count++;
                shard[edit.Key] = (hash, edit.Value!);
            }
        }
        if (touched is null)
            return this;
        var shards = (Entry[][])_shards.Clone();
        var regions = (Region[])_regions.Clone();
        foreach (var (s, shard) in touched)
        {
            shards[s] = shard.Count == 0 ? EmptyShard : NewShard([.. shard.Select(kv => (kv.Value.Hash, kv.Key, kv.Value.Value))], _compactKeys);
            regions[s] = new Region(0, shards[s].Length);
        }
        var table = new ShardedTable<TValue>(shards, regions, count, _compactKeys);
        // Growth re-splits the table once per fourfold growth: amortized, it stays proportional to the changes.
        return count > ShardSize * 4 * shards.Length ? From([.. table.Items], _compactKeys) : table;
    }

    private static int ShardCountFor(int count)
    {
        var shards = 1;
        while (shards * ShardSize < count && shards < (1 << 20))
            shards <<= 1;
        return shards;
    }

    /// <summary>The ordinal string hash, randomized per process, so keys written by a caller cannot be chosen to pile into one shard or slot.</summary>
    private static int Hash(string key) => StringComparer.Ordinal.GetHashCode(key);

    /// <summary>The shard from the high bits of the mixed hash (the slot in the shard mixes it another way, see <see cref="SlotOf"/>).</summary>
    private static int ShardOf(int hash, int shift) => shift >= 32 ? 0 : (int)(((uint)hash * 0x9E3779B9u) >> shift);

    /// <summary>A shard's place in its array: the first slot and how many slots.</summary>
    private readonly record struct Region(int Start, int Capacity);

    private readonly struct Entry(int hash, string key, TValue value, bool compactKey)
    {
        public readonly string? Key = key;
        public readonly TValue Value = value;
        public readonly CompactKey Compact = compactKey ? CompactKey.Of(key) : default;
        public readonly int Hash = hash;
    }

    /// <summary>A shard is the entry array itself (no object around it: one read less per lookup), probed linearly.</summary>
    private static Entry[] NewShard(IReadOnlyList<(int Hash, string Key, TValue Value)> items, bool compactKeys)
    {
        var entries = new Entry[CapacityFor(items.Count)];
        foreach (var (hash, key, value) in items)
            Place(entries, new Entry(hash, key, value, compactKeys));
        return entries;
    }

    /// <summary>
    /// At most two-thirds full, so an empty key always ends a probe and a key sits one slot from its place on average —
    /// any size, not a power of two: at a million keys a shard holds ~244, and the next power of two up from 244 ÷ ⅔
    /// (512) left the table half empty, 200 MB for the principals' 96-byte slots instead of 140.
    /// </summary>
    private static int CapacityFor(int count) => count + (count + 1) / 2 + 1;

    /// <summary>
    /// A key's first slot in a shard of <paramref name="capacity"/> slots: the hash mixed by another constant than the
    /// shard's (<see cref="ShardOf"/> uses its high bits too), then scaled to the capacity by a multiply, not a division.
    /// </summary>
    private static int SlotOf(int hash, int capacity) => (int)(((ulong)((uint)hash * 0x85EBCA6Bu) * (uint)capacity) >> 32);

    private static void Place(Span<Entry> entries, Entry entry)
    {
        var capacity = entries.Length;
        var i = SlotOf(entry.Hash, capacity);
        while (entries[i].Key is not null)
            i = i + 1 == capacity ? 0 : i + 1;
        entries[i] = entry;
    }
}

/// <summary>One change to a <see cref="ShardedTable{TValue}"/>: set <see cref="Key"/> to <see cref="Value"/>, or remove it.</summary>
internal readonly record struct TableEdit<TValue>(string Key, TValue? Value, bool Remove)
{
    public static TableEdit<TValue> Set(string key, TValue value) => new(key, value, false);

    public static TableEdit<TValue> Delete(string key) => new(key, default, true);
}
