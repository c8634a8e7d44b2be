using System.Runtime.CompilerServices;
using Eval = System.Func<Arbiter.Engine.Conditions.Activation, Arbiter.Engine.Conditions.CelValue>;

namespace Arbiter.Engine.Conditions;

/// <summary>
/// Checks a parsed condition against the declared variables and CEL's standard functions, and compiles it into
/// delegates over <see cref="CelValue"/>, in one pass over the tree. Static types catch what can be known when the
/// policy is written (an undeclared name, an unknown function, <c>"a" &lt; 1</c>, an undefined field of a declared
/// entity, an invalid regex or timestamp literal); <c>dyn</c> values (request JSON) are checked when they arrive, and
/// a mismatch then is an error value in CEL's words. Fields of declared entities are bound to their accessors here,
/// so evaluating <c>subject.id</c> is one delegate call. Every operator, call and comprehension iteration charges the
/// activation's step budget.
/// </summary>
internal sealed class Compiler(ConditionEnvironment environment)
{
    private static readonly CelValue OutOfBudget = CelValue.Error(ConditionLimits.BudgetExceeded);

    private static readonly HashSet<string> TypeNames = ["bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type"];

    private readonly List<(string Name, int Slot, CelType Type)> _locals = [];

    /// <summary>How many comprehension variables the program needs.</summary>
    public int Slots { get; private set; }

    public readonly record struct Node(CelType Type, Eval Eval);

    public Node Compile(Expr expr)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        return expr switch
        {
            Expr.Literal literal => Literal(literal.Value),
            Expr.Ident ident => Ident(ident),
            Expr.Select select => Select(select),
            Expr.Call call => Call(call),
            Expr.CreateList list => CreateList(list),
            Expr.CreateMap map => CreateMap(map),
            _ => throw new ConditionException("unsupported expression", expr.Position),
        };
    }

    private static Node Literal(CelValue value)
    {
        var type = value.Kind switch
        {
            CelKind.Null => CelType.Null,
            CelKind.Bool => CelType.Bool,
            CelKind.Int => CelType.Int,
            CelKind.Uint => CelType.Uint,
            CelKind.Double => CelType.Double,
            CelKind.String => CelType.String,
            CelKind.Timestamp => CelType.Timestamp,
            CelKind.Duration => CelType.Duration,
            CelKind.Type => CelType.Type,
            _ => CelType.Dyn,
        };
        return new(type, _ => value);
    }

    private Node Ident(Expr.Ident ident)
    {
        for (var i = _locals.Count - 1; i >= 0; i--)
        {
            if (_locals[i].Name == ident.Name)
            {
                var slot = _locals[i].Slot;
                return new(_locals[i].Type, a => a.Locals![slot]);
            }
        }
        if (environment.TryGet(ident.Name, out var variable))
            return new(variable.Type, variable.Read);
        if (TypeNames.Contains(ident.Name))
            return Literal(CelValue.Type(ident.Name));
        throw new ConditionException($"undeclared reference to '{ident.Name}'", ident.Position);
    }

    private bool IsLocal(string name) => _locals.Exists(l => l.Name == name);

    private Node Select(Expr.Select select)
    {
        var field = select.Field;
        // A declared entity's field: bound to its accessor now, read with one call.
        if (select.Operand is Expr.Ident ident && !IsLocal(ident.Name) && environment.TryGet(ident.Name, out var variable) && variable.Type.Fields is { } declared)
        {
            if (!declared.TryGetValue(field, out var f))
                throw new ConditionException($"undefined field '{field}' of '{ident.Name}' (it has {string.Join(", ", declared.Keys)})", select.Position);
            var read = f.Read;
            if (select.Test)
                return new(CelType.Bool, a => read(a) is var x && x.IsError ? x : CelValue.Bool(x.Kind != CelKind.Null));
            return new(f.Type, read);
        }
        // The two type names CEL spells with a package: google.protobuf.Timestamp, google.protobuf.Duration.
        if (field is "Timestamp" or "Duration" && select.Operand is Expr.Select { Field: "protobuf", Operand: Expr.Ident { Name: "google" } }
            && !select.Test && !environment.TryGet("google", out _) && !IsLocal("google"))
            return Literal(CelValue.Type("google.protobuf." + field));
        var operand = Compile(select.Operand);
        var type = operand.Type;
        CelType result;
        if (type.Fields is { } fields)
        {
            if (!fields.TryGetValue(field, out var f))
                throw new ConditionException($"undefined field '{field}' of {type.Name}", select.Position);
            result = f.Type;
        }
        else if (type.IsDyn)
        {
            result = CelType.Dyn;
        }
        else if (type.Kind == CelKind.Map && type.Key!.Accepts(CelType.String))
        {
            result = type.Element!;
        }
        else
        {
            throw new ConditionException($"type '{type.Name}' does not support field selection", select.Position);
        }
        var eval = operand.Eval;
        if (select.Test)
            return new(CelType.Bool, a => Operators.Has(eval(a), field));
        return new(result, a => Operators.Select(eval(a), field));
    }

    private Node Call(Expr.Call call)
    {
        var args = call.Args;
        if (call.Target is { } target)
        {
            switch (call.Function)
            {
                case "all" or "exists" or "exists_one" or "filter" or "map":
                    return Comprehension(call, target);
                case "size" when args.Length == 0:
                    return Size(call, target);
                case "contains" or "startsWith" or "endsWith" or "matches" when args.Length == 1:
                    return StringTest(call, target, args[0]);
                case "lowerAscii" or "upperAscii" when args.Length == 0:
                    return Unary(call, Compile(target), call.Function == "lowerAscii" ? StringFunctions.LowerAscii : StringFunctions.UpperAscii, CelType.String, CelType.String);
            }
            if (Array.IndexOf(TimeFunctions.TimestampAccessors, call.Function) >= 0 && args.Length <= 1)
                return TimeAccessor(call, target);
            throw new ConditionException($"unknown function '{call.Function}' with {args.Length} argument(s) on a value", call.Position);
        }
        switch (call.Function, args.Length)
        {
            case ("&&" or "||", 2):
                return Logical(call);
            case ("!", 1):
                return Unary(call, Compile(args[0]), Operators.Not, CelType.Bool, CelType.Bool);
            case ("-_", 1):
                return Negate(call);
            case ("?:", 3):
                return Conditional(call);
            case ("+" or "-" or "*" or "/" or "%", 2):
                return Arithmetic(call);
            case ("<" or "<=" or ">" or ">=", 2):
                return Ordering(call);
            case ("==" or "!=", 2):
                return Equality(call);
            case ("in", 2):
                return In(call);
            case ("[]", 2):
                return Index(call);
            case ("has", 1):
                if (args[0] is not Expr.Select select)
                    throw new ConditionException("has() needs a field selection, like has(context.amount)", call.Position);
                return Select(new Expr.Select(select.Position, select.Operand, select.Field, test: true));
            case ("size", 1):
                return Size(call, args[0]);
            case ("matches", 2):
                return StringTest(call, args[0], args[1]);
            case ("int" or "uint" or "double" or "string" or "bool" or "timestamp" or "duration" or "dyn" or "type", 1):
                return Conversion(call);
        }
        if (call.Function is "&&" or "||" or "!" or "-_" or "?:" or "+" or "-" or "*" or "/" or "%" or "<" or "<=" or ">" or ">=" or "==" or "!=" or "in" or "[]")
            throw new ConditionException($"'{call.Function}' takes a different number of operands", call.Position);
        throw new ConditionException($"undeclared reference to function '{call.Function}'", call.Position);
    }

    private static ConditionException NoOverload(Expr.Call call, params CelType[] types) =>
        new($"no matching overload for '{call.Function}' applied to ({string.Join(", ", types.Select(t => t.Name))})", call.Position);

    private static Node Unary(Expr.Call call, Node operand, Func<CelValue, CelValue> op, CelType expected, CelType result)
    {
        if (!expected.Accepts(operand.Type))
            throw NoOverload(call, operand.Type);
        var eval = operand.Eval;
        return new(result, a =>
        {
            if (--a.Steps < 0)
                return OutOfBudget;
            var x = eval(a);
            return x.IsError ? x : op(x);
        });
    }

    private static Eval Binary(Eval left, Eval right, Func<CelValue, CelValue, CelValue> op) => a =>
    {
        if (--a.Steps < 0)
            return OutOfBudget;
        var x = left(a);
        if (x.IsError)
            return x;
        var y = right(a);
        return y.IsError ? y : op(x, y);
    };

    private Node Negate(Expr.Call call)
    {
        var operand = Compile(call.Args[0]);
        if (!operand.Type.IsDyn && operand.Type.Kind is not (CelKind.Int or CelKind.Double or CelKind.Duration))
            throw NoOverload(call, operand.Type);
        return Unary(call, operand, Operators.Negate, CelType.Dyn, operand.Type);
    }

    /// <summary>
    /// <c>&amp;&amp;</c> and <c>||</c> as CEL defines them: commutative, so an error (or a non-bool) on either side is
    /// absorbed when the other side decides the result (false for <c>&amp;&amp;</c>, true for <c>||</c>).
    /// </summary>
    private Node Logical(Expr.Call call)
    {
        var left = Compile(call.Args[0]);
        var right = Compile(call.Args[1]);
        if (!CelType.Bool.Accepts(left.Type) || !CelType.Bool.Accepts(right.Type))
            throw NoOverload(call, left.Type, right.Type);
        var l = left.Eval;
        var r = right.Eval;
        var decisive = call.Function == "||";
        var op = call.Function;
        return new(CelType.Bool, a =>
        {
            if (--a.Steps < 0)
                return OutOfBudget;
            var x = l(a);
            if (x.Kind == CelKind.Bool && x.AsBool == decisive)
                return x;
            var y = r(a);
            if (y.Kind == CelKind.Bool && (y.AsBool == decisive || x.Kind == CelKind.Bool))
                return y;
            if (x.IsError)
                return x;
            return y.IsError ? y : Operators.NoOverload(op, x, y);
        });
    }

    private Node Conditional(Expr.Call call)
    {
        var condition = Compile(call.Args[0]);
        var then = Compile(call.Args[1]);
        var otherwise = Compile(call.Args[2]);
        if (!CelType.Bool.Accepts(condition.Type))
            throw NoOverload(call, condition.Type, then.Type, otherwise.Type);
        var c = condition.Eval;
        var t = then.Eval;
        var o = otherwise.Eval;
        return new(CelType.Join(then.Type, otherwise.Type), a =>
        {
            if (--a.Steps < 0)
                return OutOfBudget;
            var x = c(a);
            if (x.Kind == CelKind.Bool)
                return x.AsBool ? t(a) : o(a);
            return x.IsError ? x : Operators.NoOverload("?:", x);
        });
    }

    private Node Arithmetic(Expr.Call call)
    {
        var left = Compile(call.Args[0]);
        var right = Compile(call.Args[1]);
        var type = ArithmeticType(call, left.Type, right.Type);
        Func<CelValue, CelValue, CelValue> op = call.Function switch
        {
            "+" => Operators.Add,
            "-" => Operators.Subtract,
            "*" => Operators.Multiply,
            "/" => Operators.Divide,
            _ => Operators.Modulo,
        };
        var eval = Binary(left.Eval, right.Eval, op);
        if (call.Function != "+" || type.Kind is not (null or CelKind.String or CelKind.List))
            return new(type, eval);
        // Concatenation costs what it copies, so repeated doubling cannot build a huge value within the budget.
        return new(type, a =>
        {
            var v = eval(a);
            if (v.Kind == CelKind.String)
                a.Steps -= v.AsString.Length >> 4;
            else if (v.Kind == CelKind.List)
                a.Steps -= v.AsList.Count;
            return a.Steps < 0 ? OutOfBudget : v;
        });
    }

    private static CelType ArithmeticType(Expr.Call call, CelType a, CelType b)
    {
        var op = call.Function;
        if (a.IsDyn && b.IsDyn)
            return CelType.Dyn;
        if (a.IsDyn || b.IsDyn)
        {
            var known = a.IsDyn ? b : a;
            return (op, known.Kind) switch
            {
                (_, CelKind.Int or CelKind.Uint) => known,
                (not "%", CelKind.Double) => known,
                ("+", CelKind.String or CelKind.List) => known,
                ("+" or "-", CelKind.Timestamp or CelKind.Duration) => CelType.Dyn,
                _ => throw NoOverload(call, a, b),
            };
        }
        return (op, a.Kind, b.Kind) switch
        {
            (_, CelKind.Int, CelKind.Int) or (_, CelKind.Uint, CelKind.Uint) => a,
            (not "%", CelKind.Double, CelKind.Double) => a,
            ("+", CelKind.String, CelKind.String) => a,
            ("+", CelKind.List, CelKind.List) => CelType.List(CelType.Join(a.Element!, b.Element!)),
            ("+", CelKind.Timestamp, CelKind.Duration) or ("+", CelKind.Duration, CelKind.Timestamp) => CelType.Timestamp,
            ("+" or "-", CelKind.Duration, CelKind.Duration) => CelType.Duration,
            ("-", CelKind.Timestamp, CelKind.Timestamp) => CelType.Duration,
            ("-", CelKind.Timestamp, CelKind.Duration) => CelType.Timestamp,
            _ => throw NoOverload(call, a, b),
        };
    }

    private Node Ordering(Expr.Call call)
    {
        var left = Compile(call.Args[0]);
        var right = Compile(call.Args[1]);
        var (a, b) = (left.Type, right.Type);
        var comparable = a.IsDyn || b.IsDyn || (a.IsNumber && b.IsNumber)
            || (a.Kind == b.Kind && a.Kind is CelKind.String or CelKind.Bool or CelKind.Timestamp or CelKind.Duration);
        if (!comparable)
            throw NoOverload(call, a, b);
        Func<CelValue, CelValue, CelValue> op = call.Function switch
        {
            "<" => Operators.Less,
            "<=" => Operators.LessOrEqual,
            ">" => Operators.Greater,
            _ => Operators.GreaterOrEqual,
        };
        return new(CelType.Bool, Binary(left.Eval, right.Eval, op));
    }

    private Node Equality(Expr.Call call)
    {
        var left = Compile(call.Args[0]);
        var right = Compile(call.Args[1]);
        var (a, b) = (left.Type, right.Type);
        // Lists and maps compare element by element with heterogeneous equality ([1] == [1.0]), whatever their element types.
        if (!(a.Kind == CelKind.Null || b.Kind == CelKind.Null || (a.IsNumber && b.IsNumber) || a.Accepts(b) || b.Accepts(a)
              || (a.Kind == b.Kind && a.Kind is CelKind.List or CelKind.Map)))
            throw NoOverload(call, a, b);
        return new(CelType.Bool, Binary(left.Eval, right.Eval, call.Function == "==" ? Operators.Equal : Operators.NotEqual));
    }

    private Node In(Expr.Call call)
    {
        var item = Compile(call.Args[0]);
        var container = Compile(call.Args[1]);
        var (a, b) = (item.Type, container.Type);
        var ok = b.IsDyn
            || (b.Kind == CelKind.List && (b.Element!.Accepts(a) || (a.IsNumber && b.Element.IsNumber)))
            || (b.Kind == CelKind.Map && (b.Key!.Accepts(a) || (a.IsNumber && b.Key.IsNumber)));
        if (!ok)
            throw NoOverload(call, a, b);
        return new(CelType.Bool, Binary(item.Eval, container.Eval, Operators.In));
    }

    private Node Index(Expr.Call call)
    {
        var container = Compile(call.Args[0]);
        var index = Compile(call.Args[1]);
        var (a, b) = (container.Type, index.Type);
        CelType result;
        if (a.IsDyn)
            result = CelType.Dyn;
        else if (a.Kind == CelKind.List && (b.IsDyn || b.Kind is CelKind.Int or CelKind.Uint))
            result = a.Element!;
        else if (a.Kind == CelKind.Map && (a.Key!.Accepts(b) || (b.IsNumber && a.Key.IsNumber)))
            result = a.Fields is { } fields && call.Args[1] is Expr.Literal { Value.Kind: CelKind.String } key && fields.TryGetValue(key.Value.AsString, out var f)
                ? f.Type
                : a.Element!;
        else
            throw NoOverload(call, a, b);
        return new(result, Binary(container.Eval, index.Eval, Operators.Index));
    }

    private Node Size(Expr.Call call, Expr operand)
    {
        var x = Compile(operand);
        if (!x.Type.IsDyn && x.Type.Kind is not (CelKind.String or CelKind.List or CelKind.Map))
            throw NoOverload(call, x.Type);
        return Unary(call, x, StringFunctions.Size, CelType.Dyn, CelType.Int);
    }

    private Node StringTest(Expr.Call call, Expr subject, Expr argument)
    {
        var s = Compile(subject);
        var arg = Compile(argument);
        if (!CelType.String.Accepts(s.Type) || !CelType.String.Accepts(arg.Type))
            throw NoOverload(call, s.Type, arg.Type);
        var se = s.Eval;
        if (call.Function == "matches" && argument is Expr.Literal { Value.Kind: CelKind.String } literal)
        {
            // A pattern written in the condition is compiled (and refused, if it must be) once, here.
            var regex = RegexCache.TryGet(literal.Value.AsString, out var error)
                ?? throw new ConditionException(error!, argument.Position);
            return new(CelType.Bool, a =>
            {
                var x = se(a);
                if (x.IsError)
                    return x;
                a.Steps -= 1 + (x.Kind == CelKind.String ? x.AsString.Length >> 4 : 0);
                return a.Steps < 0 ? OutOfBudget : StringFunctions.Matches(x, regex);
            });
        }
        Func<CelValue, CelValue, CelValue> op = call.Function switch
        {
            "contains" => StringFunctions.Contains,
            "startsWith" => StringFunctions.StartsWith,
            "endsWith" => StringFunctions.EndsWith,
            _ => StringFunctions.Matches,
        };
        var ae = arg.Eval;
        var regexCost = call.Function == "matches" ? 4 : 6;
        return new(CelType.Bool, a =>
        {
            var x = se(a);
            if (x.IsError)
                return x;
            var y = ae(a);
            if (y.IsError)
                return y;
            a.Steps -= 1 + (x.Kind == CelKind.String ? x.AsString.Length >> regexCost : 0);
            return a.Steps < 0 ? OutOfBudget : op(x, y);
        });
    }

    private Node TimeAccessor(Expr.Call call, Expr target)
    {
        var time = Compile(target);
        var name = call.Function;
        var isDurationAccessor = Array.IndexOf(TimeFunctions.DurationAccessors, name) >= 0;
        var t = time.Type;
        if (!t.IsDyn && !(t.Kind == CelKind.Timestamp || (t.Kind == CelKind.Duration && isDurationAccessor && call.Args.Length == 0)))
            throw NoOverload(call, [t, .. call.Args.Select(_ => CelType.String)]);
        Node? zone = null;
        if (call.Args.Length == 1)
        {
            zone = Compile(call.Args[0]);
            if (!CelType.String.Accepts(zone.Value.Type))
                throw NoOverload(call, t, zone.Value.Type);
            if (call.Args[0] is Expr.Literal { Value.Kind: CelKind.String } literal
                && TimeFunctions.Timestamp(name, CelValue.Timestamp(DateTime.UnixEpoch.Ticks), literal.Value.AsString) is { IsError: true } bad)
                throw new ConditionException(bad.ErrorMessage, call.Args[0].Position);
        }
        var te = time.Eval;
        var ze = zone?.Eval;
        return new(CelType.Int, a =>
        {
            if (--a.Steps < 0)
                return OutOfBudget;
            var x = te(a);
            if (x.IsError)
                return x;
            string? tz = null;
            if (ze is not null)
            {
                var z = ze(a);
                if (z.IsError)
                    return z;
                if (z.Kind != CelKind.String)
                    return Operators.NoOverload(name, x, z);
                tz = z.AsString;
            }
            return x.Kind switch
            {
                CelKind.Timestamp => TimeFunctions.Timestamp(name, x, tz),
                CelKind.Duration when isDurationAccessor && tz is null => TimeFunctions.Duration(name, x),
                _ => Operators.NoOverload(name, x),
            };
        });
    }

    private Node Conversion(Expr.Call call)
    {
        var x = Compile(call.Args[0]);
        var k = x.Type.Kind;
        var (op, accepted, result) = call.Function switch
        {
            "int" => (Conversions.ToInt, k is CelKind.Int or CelKind.Uint or CelKind.Double or CelKind.String or CelKind.Timestamp, CelType.Int),
            "uint" => (Conversions.ToUint, k is CelKind.Int or CelKind.Uint or CelKind.Double or CelKind.String, CelType.Uint),
            "double" => (Conversions.ToDouble, k is CelKind.Int or CelKind.Uint or CelKind.Double or CelKind.String, CelType.Double),
            "string" => (Conversions.ToString, k is CelKind.Int or CelKind.Uint or CelKind.Double or CelKind.String or CelKind.Bool or CelKind.Timestamp or CelKind.Duration, CelType.String),
            "bool" => (Conversions.ToBool, k is CelKind.Bool or CelKind.String, CelType.Bool),
            "timestamp" => (Conversions.ToTimestamp, k is CelKind.Timestamp or CelKind.String or CelKind.Int, CelType.Timestamp),
            "duration" => (Conversions.ToDuration, k is CelKind.Duration or CelKind.String, CelType.Duration),
            "type" => (Conversions.TypeOf, true, CelType.Type),
            _ => ((Func<CelValue, CelValue>)(v => v), true, CelType.Dyn),
        };
        if (!x.Type.IsDyn && !accepted)
            throw NoOverload(call, x.Type);
        if (call.Args[0] is Expr.Literal literal && call.Function is "timestamp" or "duration")
        {
            // timestamp('...') and duration('...') with a literal are constants: a malformed one is a compile error.
            var constant = op(literal.Value);
            if (constant.IsError)
                throw new ConditionException(constant.ErrorMessage, call.Args[0].Position);
            return Literal(constant);
        }
        return Unary(call, x, op, CelType.Dyn, result);
    }

    private Node CreateList(Expr.CreateList list)
    {
        var items = list.Items.Select(Compile).ToArray();
        var element = items.Length == 0 ? CelType.Dyn : items.Skip(1).Aggregate(items[0].Type, (t, n) => CelType.Join(t, n.Type));
        var evals = items.Select(i => i.Eval).ToArray();
        return new(CelType.List(element), a =>
        {
            a.Steps -= 1 + evals.Length;
            if (a.Steps < 0)
                return OutOfBudget;
            var values = new CelValue[evals.Length];
            for (var i = 0; i < evals.Length; i++)
            {
                var v = evals[i](a);
                if (v.IsError)
                    return v;
                values[i] = v;
            }
            return CelValue.List(new CelList.Values(values));
        });
    }

    private Node CreateMap(Expr.CreateMap map)
    {
        var keys = map.Keys.Select(Compile).ToArray();
        var values = map.Values.Select(Compile).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            if (!keys[i].Type.IsDyn && keys[i].Type.Kind is not (CelKind.String or CelKind.Int or CelKind.Uint or CelKind.Bool))
                throw new ConditionException($"a map key must be a string, int, uint or bool, not {keys[i].Type.Name}", map.Keys[i].Position);
        }
        var keyType = keys.Length == 0 ? CelType.Dyn : keys.Skip(1).Aggregate(keys[0].Type, (t, n) => CelType.Join(t, n.Type));
        var valueType = values.Length == 0 ? CelType.Dyn : values.Skip(1).Aggregate(values[0].Type, (t, n) => CelType.Join(t, n.Type));
        var ke = keys.Select(k => k.Eval).ToArray();
        var ve = values.Select(v => v.Eval).ToArray();
        return new(CelType.Map(keyType, valueType), a =>
        {
            a.Steps -= 1 + ke.Length;
            if (a.Steps < 0)
                return OutOfBudget;
            var entries = new Dictionary<CelValue, CelValue>(ke.Length, CelMap.KeyComparer.Instance);
            for (var i = 0; i < ke.Length; i++)
            {
                var k = ke[i](a);
                if (k.IsError)
                    return k;
                if (k.Kind is not (CelKind.String or CelKind.Int or CelKind.Uint or CelKind.Bool))
                    return CelValue.Error($"unsupported map key type: {k.TypeName}");
                var v = ve[i](a);
                if (v.IsError)
                    return v;
                if (!entries.TryAdd(k, v))
                    return CelValue.Error($"duplicate key in map literal: {k}");
            }
            return CelValue.Map(new CelMap.Values(entries));
        });
    }

    /// <summary>
    /// The macros <c>all</c>, <c>exists</c>, <c>exists_one</c>, <c>filter</c> and <c>map</c> (two- and three-argument)
    /// over a list's elements or a map's keys. <c>all</c> and <c>exists</c> absorb errors as <c>&amp;&amp;</c> and
    /// <c>||</c> do (a false, resp. a true, decides); the others pass the first error on. Each iteration costs a step.
    /// </summary>
    private Node Comprehension(Expr.Call call, Expr target)
    {
        var name = call.Function;
        var args = call.Args;
        var arity = name == "map" ? args.Length is 2 or 3 : args.Length == 2;
        if (!arity || args[0] is not Expr.Ident variable)
            throw new ConditionException($"'{name}' needs a variable name and {(name == "map" ? "an expression (and optionally a filter before it)" : "a predicate")}, like list.{name}(x, x > 0)", call.Position);
        var range = Compile(target);
        var rt = range.Type;
        var element = rt.IsDyn ? CelType.Dyn
            : rt.Kind == CelKind.List ? rt.Element!
            : rt.Kind == CelKind.Map ? rt.Key!
            : throw new ConditionException($"'{name}' applies to a list or a map, not {rt.Name}", call.Position);
        var slot = Slots++;
        _locals.Add((variable.Name, slot, element));
        var first = Compile(args[1]);
        Node? transform = args.Length == 3 ? Compile(args[2]) : null;
        _locals.RemoveAt(_locals.Count - 1);
        var predicate = name != "map" || transform is not null;
        if (predicate && !CelType.Bool.Accepts(first.Type))
            throw new ConditionException($"the predicate of '{name}' must be a bool, not {first.Type.Name}", args[1].Position);
        var re = range.Eval;
        var fe = first.Eval;
        var te = transform?.Eval;

        Eval loop = name switch
        {
            "all" or "exists" => a =>
            {
                var items = Items(re(a), name, out var error);
                if (items is null)
                    return error;
                var decisive = name == "exists";
                CelValue? undecided = null;
                for (var i = 0; i < items.Count; i++)
                {
                    if (--a.Steps < 0)
                        return OutOfBudget;
                    a.Locals![slot] = items[i];
                    var v = fe(a);
                    if (v.Kind == CelKind.Bool)
                    {
                        if (v.AsBool == decisive)
                            return v;
                    }
                    else
                    {
                        undecided ??= v.IsError ? v : Operators.NoOverload(name, v);
                    }
                }
                return undecided ?? CelValue.Bool(!decisive);
            },
            "exists_one" => a =>
            {
                var items = Items(re(a), name, out var error);
                if (items is null)
                    return error;
                var count = 0;
                for (var i = 0; i < items.Count; i++)
                {
                    if (--a.Steps < 0)
                        return OutOfBudget;
                    a.Locals![slot] = items[i];
                    var v = fe(a);
                    if (v.Kind != CelKind.Bool)
                        return v.IsError ? v : Operators.NoOverload(name, v);
                    if (v.AsBool)
                        count++;
                }
                return CelValue.Bool(count == 1);
            },
            _ => a =>
            {
                var items = Items(re(a), name, out var error);
                if (items is null)
                    return error;
                var results = new List<CelValue>();
                for (var i = 0; i < items.Count; i++)
                {
                    if (--a.Steps < 0)
                        return OutOfBudget;
                    a.Locals![slot] = items[i];
                    var v = fe(a);
                    if (predicate)
                    {
                        if (v.Kind != CelKind.Bool)
                            return v.IsError ? v : Operators.NoOverload(name, v);
                        if (!v.AsBool)
                            continue;
                        v = te is null ? items[i] : te(a);
                    }
                    if (v.IsError)
                        return v;
                    results.Add(v);
                }
                return CelValue.List(new CelList.Values([.. results]));
            },
        };
        var type = name switch
        {
            "filter" => CelType.List(element),
            "map" => CelType.List((transform ?? first).Type),
            _ => CelType.Bool,
        };
        return new(type, loop);
    }

    private static CelList? Items(CelValue range, string macro, out CelValue error)
    {
        error = range;
        switch (range.Kind)
        {
            case CelKind.List:
                return range.AsList;
            case CelKind.Map:
                return new CelList.Values([.. range.AsMap.Keys()]);
            case CelKind.Error:
                return null;
            default:
                error = Operators.NoOverload(macro, range);
                return null;
        }
    }
}
