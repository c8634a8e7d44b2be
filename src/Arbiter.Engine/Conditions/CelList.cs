using System.Text.Json;

namespace Arbiter.Engine.Conditions;

/// <summary>A CEL list: over CEL values, over directory facts (converted as read), or over strings.</summary>
public abstract class CelList
{
    public static readonly CelList Empty = new Values([]);

    public abstract int Count { get; }

    public abstract CelValue this[int index] { get; }

    /// <summary>CEL's <c>in</c>: whether an element equals <paramref name="value"/>.</summary>
    public virtual bool Contains(in CelValue value)
    {
        for (var i = 0; i < Count; i++)
            if (CelValue.Equal(this[i], value))
                return true;
        return false;
    }

    public static CelList FromJson(JsonElement array)
    {
        var items = new CelValue[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
            items[i++] = CelValue.FromJson(item);
        return new Values(items);
    }

    /// <summary>A list of CEL values (literals, results of <c>map</c>, <c>filter</c> and <c>+</c>, JSON arrays).</summary>
    public sealed class Values(CelValue[] items) : CelList
    {
        public override int Count => items.Length;
        public override CelValue this[int index] => items[index];
    }

    /// <summary>A list read from a directory fact.</summary>
    public sealed class Objects(IReadOnlyList<object?> items) : CelList
    {
        public override int Count => items.Count;
        public override CelValue this[int index] => CelValue.FromObject(items[index]);
    }

    /// <summary>Strings (groups, tags, sponsors); a set answers <c>in</c> by lookup.</summary>
    public sealed class Strings(IReadOnlyList<string> items, IReadOnlySet<string>? set = null) : CelList
    {
        public override int Count => items.Count;
        public override CelValue this[int index] => CelValue.String(items[index]);

        public override bool Contains(in CelValue value)
        {
            if (value.Kind != CelKind.String)
                return false;
            if (set is not null)
                return set.Contains(value.AsString);
            for (var i = 0; i < items.Count; i++)
                if (string.Equals(items[i], value.AsString, StringComparison.Ordinal))
                    return true;
            return false;
        }
    }
}
