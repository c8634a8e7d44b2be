namespace Arbiter.Engine.Conditions;

/// <summary>
/// CEL's operators on values (langdef.md "Operators" and "Standard definitions"): checked int64 and uint64 arithmetic
/// (overflow and division by zero are errors), IEEE doubles, string and list concatenation, timestamp and duration
/// arithmetic, heterogeneous numeric comparison, <c>in</c> and indexing. Arguments are never errors here (the
/// compiled node passes an argument's error on before calling); a kind with no overload is an error value.
/// </summary>
public static class Operators
{
    public static CelValue NoOverload(string op, params ReadOnlySpan<CelValue> args)
    {
        var types = new string[args.Length];
        for (var i = 0; i < args.Length; i++)
            types[i] = args[i].TypeName;
        return CelValue.Error($"no matching overload for '{op}' applied to ({string.Join(", ", types)})");
    }

    public static readonly CelValue Overflow = CelValue.Error("integer overflow");
    public static readonly CelValue DivideByZero = CelValue.Error("division by zero");
    public static readonly CelValue ModulusByZero = CelValue.Error("modulus by zero");
    public static readonly CelValue TimeOverflow = CelValue.Error("timestamp or duration out of range");

    public static CelValue Add(CelValue x, CelValue y)
    {
        switch (x.Kind, y.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                var sum = unchecked(x.AsInt + y.AsInt);
                return ((x.AsInt ^ sum) & (y.AsInt ^ sum)) < 0 ? Overflow : CelValue.Int(sum);
            case (CelKind.Uint, CelKind.Uint):
                var usum = unchecked(x.AsUint + y.AsUint);
                return usum < x.AsUint ? Overflow : CelValue.Uint(usum);
            case (CelKind.Double, CelKind.Double):
                return CelValue.Double(x.AsDouble + y.AsDouble);
            case (CelKind.String, CelKind.String):
                return CelValue.String(string.Concat(x.AsString, y.AsString));
            case (CelKind.List, CelKind.List):
                var a = x.AsList;
                var b = y.AsList;
                var items = new CelValue[a.Count + b.Count];
                for (var i = 0; i < a.Count; i++)
                    items[i] = a[i];
                for (var i = 0; i < b.Count; i++)
                    items[a.Count + i] = b[i];
                return CelValue.List(new CelList.Values(items));
            case (CelKind.Timestamp, CelKind.Duration):
                return Timestamp(x.Ticks, y.Ticks);
            case (CelKind.Duration, CelKind.Timestamp):
                return Timestamp(y.Ticks, x.Ticks);
            case (CelKind.Duration, CelKind.Duration):
                return Duration(x.Ticks, y.Ticks);
        }
        return NoOverload("+", x, y);
    }

    public static CelValue Subtract(CelValue x, CelValue y)
    {
        switch (x.Kind, y.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                var diff = unchecked(x.AsInt - y.AsInt);
                return ((x.AsInt ^ y.AsInt) & (x.AsInt ^ diff)) < 0 ? Overflow : CelValue.Int(diff);
            case (CelKind.Uint, CelKind.Uint):
                return y.AsUint > x.AsUint ? Overflow : CelValue.Uint(x.AsUint - y.AsUint);
            case (CelKind.Double, CelKind.Double):
                return CelValue.Double(x.AsDouble - y.AsDouble);
            case (CelKind.Timestamp, CelKind.Timestamp):
                return Duration(x.Ticks, -y.Ticks);
            case (CelKind.Timestamp, CelKind.Duration):
                return y.Ticks == long.MinValue ? TimeOverflow : Timestamp(x.Ticks, -y.Ticks);
            case (CelKind.Duration, CelKind.Duration):
                return y.Ticks == long.MinValue ? TimeOverflow : Duration(x.Ticks, -y.Ticks);
        }
        return NoOverload("-", x, y);
    }

    public static CelValue Multiply(CelValue x, CelValue y)
    {
        switch (x.Kind, y.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                var product = Math.BigMul(x.AsInt, y.AsInt, out var low);
                return (product == 0 && low >= 0) || (product == -1 && low < 0) ? CelValue.Int(low) : Overflow;
            case (CelKind.Uint, CelKind.Uint):
                var high = Math.BigMul(x.AsUint, y.AsUint, out var ulow);
                return high == 0 ? CelValue.Uint(ulow) : Overflow;
            case (CelKind.Double, CelKind.Double):
                return CelValue.Double(x.AsDouble * y.AsDouble);
        }
        return NoOverload("*", x, y);
    }

    public static CelValue Divide(CelValue x, CelValue y)
    {
        switch (x.Kind, y.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                if (y.AsInt == 0)
                    return DivideByZero;
                return x.AsInt == long.MinValue && y.AsInt == -1 ? Overflow : CelValue.Int(x.AsInt / y.AsInt);
            case (CelKind.Uint, CelKind.Uint):
                return y.AsUint == 0 ? DivideByZero : CelValue.Uint(x.AsUint / y.AsUint);
            case (CelKind.Double, CelKind.Double):
                return CelValue.Double(x.AsDouble / y.AsDouble);
        }
        return NoOverload("/", x, y);
    }

    public static CelValue Modulo(CelValue x, CelValue y)
    {
        switch (x.Kind, y.Kind)
        {
            case (CelKind.Int, CelKind.Int):
                if (y.AsInt == 0)
                    return ModulusByZero;
                return x.AsInt == long.MinValue && y.AsInt == -1 ? Overflow : CelValue.Int(x.AsInt % y.AsInt);
            case (CelKind.Uint, CelKind.Uint):
                return y.AsUint == 0 ? ModulusByZero : CelValue.Uint(x.AsUint % y.AsUint);
        }
        return NoOverload("%", x, y);
    }

    public static CelValue Negate(CelValue x) => x.Kind switch
    {
        CelKind.Int => x.AsInt == long.MinValue ? Overflow : CelValue.Int(-x.AsInt),
        CelKind.Double => CelValue.Double(-x.AsDouble),
        CelKind.Duration => CheckedDuration(-x.Ticks),
        _ => NoOverload("-_", x),
    };

    public static CelValue Not(CelValue x) => x.Kind == CelKind.Bool ? CelValue.Bool(!x.AsBool) : NoOverload("!", x);

    public static CelValue Equal(CelValue x, CelValue y) => CelValue.Bool(CelValue.Equal(x, y));

    public static CelValue NotEqual(CelValue x, CelValue y) => CelValue.Bool(!CelValue.Equal(x, y));

    public static CelValue Less(CelValue x, CelValue y) => Order("<", x, y, c => c < 0);

    public static CelValue LessOrEqual(CelValue x, CelValue y) => Order("<=", x, y, c => c <= 0);

    public static CelValue Greater(CelValue x, CelValue y) => Order(">", x, y, c => c is > 0 and < 2);

    public static CelValue GreaterOrEqual(CelValue x, CelValue y) => Order(">=", x, y, c => c is >= 0 and < 2);

    private static CelValue Order(string op, in CelValue x, in CelValue y, Func<int, bool> holds) =>
        CelValue.Compare(x, y) is { } c ? CelValue.Bool(holds(c)) : NoOverload(op, x, y);

    public static CelValue In(CelValue x, CelValue y) => y.Kind switch
    {
        CelKind.List => CelValue.Bool(y.AsList.Contains(x)),
        CelKind.Map => IsKey(x) ? CelValue.Bool(y.AsMap.TryGet(x, out _)) : NoOverload("in", x, y),
        _ => NoOverload("in", x, y),
    };

    public static CelValue Index(CelValue x, CelValue y)
    {
        if (x.Kind == CelKind.List)
        {
            var list = x.AsList;
            long i;
            switch (y.Kind)
            {
                case CelKind.Int: i = y.AsInt; break;
                case CelKind.Uint: i = y.AsUint > int.MaxValue ? -1 : (long)y.AsUint; break;
                case CelKind.Double when y.AsDouble == Math.Floor(y.AsDouble) && Math.Abs(y.AsDouble) < int.MaxValue: i = (long)y.AsDouble; break;
                default: return NoOverload("[]", x, y);
            }
            return i >= 0 && i < list.Count ? list[(int)i] : CelValue.Error($"index out of bounds: {y}");
        }
        if (x.Kind == CelKind.Map)
        {
            if (!IsKey(y))
                return NoOverload("[]", x, y);
            return x.AsMap.TryGet(y, out var value) ? value : CelValue.Error($"no such key: {Quote(y)}");
        }
        return NoOverload("[]", x, y);
    }

    /// <summary>Field selection <c>x.field</c> on a map (also an object); a missing key is CEL's "no such key".</summary>
    public static CelValue Select(CelValue x, string field)
    {
        if (x.Kind == CelKind.Map)
            return x.AsMap.TryGet(field, out var value) ? value : CelValue.Error($"no such key: '{field}'");
        return x.IsError ? x : CelValue.Error($"type '{x.TypeName}' does not support field selection");
    }

    /// <summary><c>has(x.field)</c>: whether a map has the key.</summary>
    public static CelValue Has(CelValue x, string field)
    {
        if (x.Kind == CelKind.Map)
        {
            // A map has a key whatever its value; an entity's field is there when it has a value.
            var map = x.AsMap;
            return CelValue.Bool(map.TryGet(field, out var value) && (map is not CelMap.Fields || value.Kind != CelKind.Null));
        }
        return x.IsError ? x : CelValue.Error($"type '{x.TypeName}' does not support field selection");
    }

    public static bool IsKey(in CelValue x) => x.Kind is CelKind.String or CelKind.Int or CelKind.Uint or CelKind.Bool or CelKind.Double;

    private static string Quote(in CelValue v) => v.Kind == CelKind.String ? $"'{v.AsString}'" : v.ToString();

    private static CelValue Timestamp(long ticks, long add)
    {
        var sum = unchecked(ticks + add);
        if (((ticks ^ sum) & (add ^ sum)) < 0 || sum < DateTime.MinValue.Ticks || sum > DateTime.MaxValue.Ticks)
            return TimeOverflow;
        return CelValue.Timestamp(sum);
    }

    private static CelValue Duration(long x, long y)
    {
        var sum = unchecked(x + y);
        return ((x ^ sum) & (y ^ sum)) < 0 ? TimeOverflow : CheckedDuration(sum);
    }

    /// <summary>CEL's durations span ±10,000 years (±315,576,000,000 s); beyond is an error.</summary>
    public const long MaxDurationTicks = 315_576_000_000L * TimeSpan.TicksPerSecond;

    public static CelValue CheckedDuration(long ticks) =>
        ticks is >= -MaxDurationTicks and <= MaxDurationTicks ? CelValue.Duration(ticks) : TimeOverflow;
}
