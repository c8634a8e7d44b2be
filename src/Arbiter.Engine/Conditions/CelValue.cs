using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Arbiter.Engine.Conditions;

/// <summary>
/// One CEL value: a kind, 64 bits (bool, int, uint, double, timestamp and duration ticks) and a reference (string,
/// list, map, type name, error message). Errors are values, as in CEL: an operator given an error passes it on,
/// except where the language absorbs it (<c>&amp;&amp;</c>, <c>||</c>, <c>?:</c>, <c>all</c>, <c>exists</c>).
/// Timestamps are UTC ticks and durations ticks (100 ns: CEL's nanoseconds are kept to .NET's precision).
/// </summary>
public readonly struct CelValue
{
    private readonly long _bits;
    private readonly object? _ref;

    private CelValue(CelKind kind, long bits, object? reference)
    {
        Kind = kind;
        _bits = bits;
        _ref = reference;
    }

    public CelKind Kind { get; }

    public static readonly CelValue Null = new(CelKind.Null, 0, null);
    public static readonly CelValue True = new(CelKind.Bool, 1, null);
    public static readonly CelValue False = new(CelKind.Bool, 0, null);

    public static CelValue Bool(bool value) => value ? True : False;
    public static CelValue Int(long value) => new(CelKind.Int, value, null);
    public static CelValue Uint(ulong value) => new(CelKind.Uint, unchecked((long)value), null);
    public static CelValue Double(double value) => new(CelKind.Double, BitConverter.DoubleToInt64Bits(value), null);
    public static CelValue String(string value) => new(CelKind.String, 0, value);
    public static CelValue List(CelList value) => new(CelKind.List, 0, value);
    public static CelValue Map(CelMap value) => new(CelKind.Map, 0, value);
    public static CelValue Timestamp(long utcTicks) => new(CelKind.Timestamp, utcTicks, null);
    public static CelValue Duration(long ticks) => new(CelKind.Duration, ticks, null);
    public static CelValue Type(string name) => new(CelKind.Type, 0, name);
    public static CelValue Error(string message) => new(CelKind.Error, 0, message);

    public bool IsError => Kind == CelKind.Error;
    public bool AsBool => _bits != 0;
    public long AsInt => _bits;
    public ulong AsUint => unchecked((ulong)_bits);
    public double AsDouble => BitConverter.Int64BitsToDouble(_bits);
    public string AsString => (string)_ref!;
    public CelList AsList => (CelList)_ref!;
    public CelMap AsMap => (CelMap)_ref!;
    public long Ticks => _bits;
    public DateTime AsDateTime => new(_bits, DateTimeKind.Utc);
    public string TypeValueName => (string)_ref!;
    public string ErrorMessage => (string)_ref!;

    /// <summary>CEL's name of this value's type, as error messages and <c>type()</c> give it.</summary>
    public string TypeName => Kind switch
    {
        CelKind.Null => "null_type",
        CelKind.Bool => "bool",
        CelKind.Int => "int",
        CelKind.Uint => "uint",
        CelKind.Double => "double",
        CelKind.String => "string",
        CelKind.List => "list",
        CelKind.Map => "map",
        CelKind.Timestamp => "google.protobuf.Timestamp",
        CelKind.Duration => "google.protobuf.Duration",
        CelKind.Type => "type",
        _ => "error",
    };

    /// <summary>A JSON value as CEL sees it: objects are maps, arrays lists, integral numbers ints, other numbers doubles.</summary>
    public static CelValue FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => Map(new CelMap.Json(element)),
        JsonValueKind.Array => List(CelList.FromJson(element)),
        JsonValueKind.String => String(element.GetString()!),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? Int(l) : Double(JsonDouble(element)),
        JsonValueKind.True => True,
        JsonValueKind.False => False,
        _ => Null,
    };

    // A number beyond double's range (1e400) is infinite, as CEL's JSON conversion makes it; GetDouble would throw.
    private static double JsonDouble(JsonElement element) =>
        element.TryGetDouble(out var d) ? d : double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A directory fact as CEL sees it (the shapes the fact reader produces: maps, lists, long, double, string, bool).</summary>
    public static CelValue FromObject(object? value) => value switch
    {
        null => Null,
        string s => String(s),
        bool b => Bool(b),
        long l => Int(l),
        int i => Int(i),
        double d => Double(d),
        CelValue v => v,
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> map => Map(new CelMap.Objects(map)),
        IReadOnlyList<string> strings => List(new CelList.Strings(strings)),
        IReadOnlyList<object?> list => List(new CelList.Objects(list)),
        IEnumerable items => List(new CelList.Objects([.. items.Cast<object?>()])),
        _ => String(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    /// <summary>CEL equality: heterogeneous numbers compare by value, lists and maps deeply, other kinds must match.</summary>
    public static bool Equal(in CelValue a, in CelValue b)
    {
        if (a.Kind == b.Kind)
        {
            return a.Kind switch
            {
                CelKind.Null => true,
                CelKind.Double => a.AsDouble == b.AsDouble,
                CelKind.String => string.Equals(a.AsString, b.AsString, StringComparison.Ordinal),
                CelKind.Type => string.Equals(a.TypeValueName, b.TypeValueName, StringComparison.Ordinal),
                CelKind.List => ListsEqual(a.AsList, b.AsList),
                CelKind.Map => MapsEqual(a.AsMap, b.AsMap),
                CelKind.Error => false,
                _ => a._bits == b._bits,
            };
        }
        return IsNumber(a.Kind) && IsNumber(b.Kind) && CompareNumbers(a, b) == 0;
    }

    public static bool IsNumber(CelKind kind) => kind is CelKind.Int or CelKind.Uint or CelKind.Double;

    /// <summary>Orders two values of comparable kinds (numbers across kinds); null when the kinds do not compare.</summary>
    public static int? Compare(in CelValue a, in CelValue b)
    {
        if (IsNumber(a.Kind) && IsNumber(b.Kind))
            return CompareNumbers(a, b);
        if (a.Kind != b.Kind)
            return null;
        return a.Kind switch
        {
            CelKind.String => Math.Sign(string.CompareOrdinal(a.AsString, b.AsString)),
            CelKind.Bool or CelKind.Timestamp or CelKind.Duration => a._bits.CompareTo(b._bits),
            _ => null,
        };
    }

    /// <summary>Numbers of any kinds by value; NaN compares unequal to everything (reported as 2).</summary>
    private static int CompareNumbers(in CelValue a, in CelValue b)
    {
        switch (a.Kind, b.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                return a._bits.CompareTo(b._bits);
            case (CelKind.Uint, CelKind.Uint):
                return a.AsUint.CompareTo(b.AsUint);
            case (CelKind.Int, CelKind.Uint):
                return a._bits < 0 ? -1 : ((ulong)a._bits).CompareTo(b.AsUint);
            case (CelKind.Uint, CelKind.Int):
                return b._bits < 0 ? 1 : a.AsUint.CompareTo((ulong)b._bits);
        }
        var x = a.Kind == CelKind.Double ? a.AsDouble : a.Kind == CelKind.Int ? a._bits : (double)a.AsUint;
        var y = b.Kind == CelKind.Double ? b.AsDouble : b.Kind == CelKind.Int ? b._bits : (double)b.AsUint;
        if (double.IsNaN(x) || double.IsNaN(y))
            return 2;
        return x.CompareTo(y);
    }

    private static bool ListsEqual(CelList a, CelList b)
    {
        if (a.Count != b.Count)
            return false;
        for (var i = 0; i < a.Count; i++)
            if (!Equal(a[i], b[i]))
                return false;
        return true;
    }

    private static bool MapsEqual(CelMap a, CelMap b)
    {
        if (a.Count != b.Count)
            return false;
        foreach (var key in a.Keys())
        {
            if (!a.TryGet(key, out var x) || !b.TryGet(key, out var y) || !Equal(x, y))
                return false;
        }
        return true;
    }

    /// <summary>The value as CEL's <c>string()</c> writes it (also used to name values in messages).</summary>
    public override string ToString() => Kind switch
    {
        CelKind.Null => "null",
        CelKind.Bool => AsBool ? "true" : "false",
        CelKind.Int => _bits.ToString(CultureInfo.InvariantCulture),
        CelKind.Uint => AsUint.ToString(CultureInfo.InvariantCulture),
        CelKind.Double => AsDouble.ToString("R", CultureInfo.InvariantCulture),
        CelKind.String => AsString,
        CelKind.Timestamp => TimeFunctions.FormatTimestamp(_bits),
        CelKind.Duration => TimeFunctions.FormatDuration(_bits),
        CelKind.Type => TypeValueName,
        CelKind.List => FormatList(AsList),
        CelKind.Map => FormatMap(AsMap),
        _ => "error: " + ErrorMessage,
    };

    private static string FormatList(CelList list) =>
        "[" + string.Join(", ", Enumerable.Range(0, list.Count).Select(i => list[i].Quoted())) + "]";

    private static string FormatMap(CelMap map) =>
        "{" + string.Join(", ", map.Keys().Select(k => k.Quoted() + ": " + (map.TryGet(k, out var v) ? v.Quoted() : ""))) + "}";

    private string Quoted() => Kind == CelKind.String ? "'" + AsString + "'" : ToString();
}
