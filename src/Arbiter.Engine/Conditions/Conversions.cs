using System.Globalization;

namespace Arbiter.Engine.Conditions;

/// <summary>CEL's type conversions (langdef.md "Type conversions"): range-checked, errors as values.</summary>
public static class Conversions
{
    private static readonly CelValue OutOfRange = CelValue.Error("conversion out of range");

    public static CelValue ToInt(CelValue x)
    {
        switch (x.Kind)
        {
            case CelKind.Int:
                return x;
            case CelKind.Uint:
                return x.AsUint > long.MaxValue ? OutOfRange : CelValue.Int((long)x.AsUint);
            case CelKind.Double:
                var d = x.AsDouble;
                return double.IsNaN(d) || d <= -9.223372036854775808e18 || d >= 9.223372036854775807e18 ? OutOfRange : CelValue.Int((long)d);
            case CelKind.String:
                return long.TryParse(x.AsString, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                    ? CelValue.Int(l) : CelValue.Error($"cannot convert '{x.AsString}' to int");
            case CelKind.Timestamp:
                return CelValue.Int((x.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond);
        }
        return Operators.NoOverload("int", x);
    }

    public static CelValue ToUint(CelValue x)
    {
        switch (x.Kind)
        {
            case CelKind.Uint:
                return x;
            case CelKind.Int:
                return x.AsInt < 0 ? OutOfRange : CelValue.Uint((ulong)x.AsInt);
            case CelKind.Double:
                var d = x.AsDouble;
                return double.IsNaN(d) || d <= -1 || d >= 1.8446744073709552e19 ? OutOfRange : CelValue.Uint((ulong)d);
            case CelKind.String:
                return ulong.TryParse(x.AsString, NumberStyles.None, CultureInfo.InvariantCulture, out var u)
                    ? CelValue.Uint(u) : CelValue.Error($"cannot convert '{x.AsString}' to uint");
        }
        return Operators.NoOverload("uint", x);
    }

    public static CelValue ToDouble(CelValue x) => x.Kind switch
    {
        CelKind.Double => x,
        CelKind.Int => CelValue.Double(x.AsInt),
        CelKind.Uint => CelValue.Double(x.AsUint),
        CelKind.String => double.TryParse(x.AsString, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? CelValue.Double(d) : CelValue.Error($"cannot convert '{x.AsString}' to double"),
        _ => Operators.NoOverload("double", x),
    };

    public static CelValue ToString(CelValue x) => x.Kind switch
    {
        CelKind.String => x,
        CelKind.Int or CelKind.Uint or CelKind.Double or CelKind.Bool or CelKind.Timestamp or CelKind.Duration => CelValue.String(x.ToString()),
        _ => Operators.NoOverload("string", x),
    };

    public static CelValue ToBool(CelValue x) => x.Kind switch
    {
        CelKind.Bool => x,
        CelKind.String => x.AsString switch
        {
            "true" or "TRUE" or "True" or "t" or "1" => CelValue.True,
            "false" or "FALSE" or "False" or "f" or "0" => CelValue.False,
            _ => CelValue.Error($"cannot convert '{x.AsString}' to bool"),
        },
        _ => Operators.NoOverload("bool", x),
    };

    public static CelValue ToTimestamp(CelValue x) => x.Kind switch
    {
        CelKind.Timestamp => x,
        CelKind.String => TimeFunctions.ParseTimestamp(x.AsString),
        CelKind.Int => x.AsInt is >= -62135596800 and <= 253402300799
            ? CelValue.Timestamp(DateTime.UnixEpoch.Ticks + (x.AsInt * TimeSpan.TicksPerSecond))
            : Operators.TimeOverflow,
        _ => Operators.NoOverload("timestamp", x),
    };

    public static CelValue ToDuration(CelValue x) => x.Kind switch
    {
        CelKind.Duration => x,
        CelKind.String => TimeFunctions.ParseDuration(x.AsString),
        _ => Operators.NoOverload("duration", x),
    };

    public static CelValue TypeOf(CelValue x) => CelValue.Type(x.TypeName);
}
