using System.Collections.Immutable;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// The edits one <see cref="TenantState.Apply"/> makes to one of its tables. A table with entries is edited through
/// its builder (a change costs what it touches). An empty table — the first load of a whole tenant, a million users —
/// collects into a plain dictionary and is frozen once, its entries added in the order of the table's own key hashes:
/// an <see cref="ImmutableDictionary{TKey, TValue}"/> is a tree ordered by that hash, so each insert then walks the
/// path the previous one left in cache instead of ~20 random nodes.
/// </summary>
internal sealed class TableEdits<TValue>
{
    private readonly ImmutableDictionary<string, TValue> _source;
    private readonly ImmutableDictionary<string, TValue>.Builder? _builder;
    private readonly Dictionary<string, TValue>? _bulk;

    public TableEdits(ImmutableDictionary<string, TValue> source)
    {
        _source = source;
        if (source.IsEmpty)
            _bulk = new Dictionary<string, TValue>(source.KeyComparer);
        else
            _builder = source.ToBuilder();
    }

    public bool TryGetValue(string key, out TValue value) =>
        _bulk is not null ? _bulk.TryGetValue(key, out value!) : _builder!.TryGetValue(key, out value!);

    public void Set(string key, TValue value)
    {
        if (_bulk is not null)
            _bulk[key] = value;
        else
            _builder![key] = value;
    }

    public void Remove(string key)
    {
        if (_bulk is not null)
            _bulk.Remove(key);
        else
            _builder!.Remove(key);
    }

    public ImmutableDictionary<string, TValue> ToImmutable()
    {
        if (_builder is not null)
            return _builder.ToImmutable();
        if (_bulk!.Count == 0)
            return _source;
        var comparer = _source.KeyComparer;
        var hashes = new int[_bulk.Count];
        var items = new KeyValuePair<string, TValue>[_bulk.Count];
        var i = 0;
        foreach (var item in _bulk)
        {
            hashes[i] = comparer.GetHashCode(item.Key);
            items[i++] = item;
        }
        Array.Sort(hashes, items);
        var builder = _source.ToBuilder();
        foreach (var (key, value) in items)
            builder.Add(key, value);
        return builder.ToImmutable();
    }
}
