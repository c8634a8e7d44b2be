using System.Text.Json;

namespace Arbiter.Engine.Conditions;

/// <summary>A CEL map: over a JSON object, over directory facts, or over CEL values (map literals).</summary>
public abstract class CelMap
{
    public static readonly CelMap Empty = new Values(new Dictionary<CelValue, CelValue>(KeyComparer.Instance));

    public abstract int Count { get; }

    /// <summary>The value under a string key (field selection); false when absent.</summary>
    public abstract bool TryGet(string key, out CelValue value);

    public virtual bool TryGet(in CelValue key, out CelValue value)
    {
        if (key.Kind == CelKind.String)
            return TryGet(key.AsString, out value);
        value = default;
        return false;
    }

    public abstract IEnumerable<CelValue> Keys();

    /// <summary>A JSON object from the request (its properties and context). Read in place, never copied.</summary>
    public sealed class Json(JsonElement element) : CelMap
    {
        private int _count = -1;

        public override int Count => _count >= 0 ? _count : _count = element.EnumerateObject().Count();

        public override bool TryGet(string key, out CelValue value)
        {
            if (element.TryGetProperty(key, out var v))
            {
                value = CelValue.FromJson(v);
                return true;
            }
            value = default;
            return false;
        }

        public override IEnumerable<CelValue> Keys() => element.EnumerateObject().Select(p => CelValue.String(p.Name));
    }

    /// <summary>Directory attributes, as the fact reader keeps them.</summary>
    public sealed class Objects(IReadOnlyDictionary<string, object?> map) : CelMap
    {
        public override int Count => map.Count;

        public override bool TryGet(string key, out CelValue value)
        {
            if (map.TryGetValue(key, out var v))
            {
                value = CelValue.FromObject(v);
                return true;
            }
            value = default;
            return false;
        }

        public override IEnumerable<CelValue> Keys() => map.Keys.Select(CelValue.String);
    }

    /// <summary>A map of CEL values, keyed by int, uint, bool or string (a map literal).</summary>
    public sealed class Values(Dictionary<CelValue, CelValue> map) : CelMap
    {
        public override int Count => map.Count;

        public override bool TryGet(string key, out CelValue value) => map.TryGetValue(CelValue.String(key), out value);

        public override bool TryGet(in CelValue key, out CelValue value) => map.TryGetValue(key, out value);

        public override IEnumerable<CelValue> Keys() => map.Keys;
    }

    /// <summary>A map seen as a whole whose fields are read one by one (an entity of the activation).</summary>
    public sealed class Fields(string[] names, Func<string, CelValue> read) : CelMap
    {
        public override int Count => names.Length;

        public override bool TryGet(string key, out CelValue value)
        {
            if (Array.IndexOf(names, key) < 0)
            {
                value = default;
                return false;
            }
            value = read(key);
            return true;
        }

        public override IEnumerable<CelValue> Keys() => names.Select(CelValue.String);
    }

    /// <summary>Map keys: ints and uints that are equal by value are the same key, as CEL's heterogeneous equality says.</summary>
    public sealed class KeyComparer : IEqualityComparer<CelValue>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(CelValue x, CelValue y) => CelValue.Equal(x, y);

        public int GetHashCode(CelValue value) => value.Kind switch
        {
            CelKind.String => StringComparer.Ordinal.GetHashCode(value.AsString),
            CelKind.Int => value.AsInt.GetHashCode(),
            CelKind.Uint => value.AsUint <= long.MaxValue ? ((long)value.AsUint).GetHashCode() : value.AsUint.GetHashCode(),
            CelKind.Double => value.AsDouble == Math.Floor(value.AsDouble) && Math.Abs(value.AsDouble) < 9e18 ? ((long)value.AsDouble).GetHashCode() : value.AsDouble.GetHashCode(),
            CelKind.Bool => value.AsBool ? 1 : 0,
            _ => 0,
        };
    }
}
