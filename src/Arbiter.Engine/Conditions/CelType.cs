namespace Arbiter.Engine.Conditions;

/// <summary>
/// A static type, as the checker knows it: CEL's primitive types, <c>list(T)</c>, <c>map(K, V)</c>, timestamps and
/// durations, <c>dyn</c> (known only at run time: request JSON), and objects — the activation's entities, whose
/// fields are declared with their types and read without a lookup.
/// </summary>
public sealed class CelType
{
    private CelType(string name, CelKind? kind, CelType? element = null, CelType? key = null, IReadOnlyDictionary<string, ObjectField>? fields = null)
    {
        Name = name;
        Kind = kind;
        Element = element;
        Key = key;
        Fields = fields;
    }

    /// <summary>CEL's name (<c>int</c>, <c>list(string)</c>, <c>map(string, dyn)</c>, <c>arbiter.Subject</c>).</summary>
    public string Name { get; }

    /// <summary>The run-time kind of this type's values; null for <c>dyn</c>.</summary>
    public CelKind? Kind { get; }

    /// <summary>The element type of a list, the value type of a map.</summary>
    public CelType? Element { get; }

    public CelType? Key { get; }

    /// <summary>An object's declared fields (its values are maps at run time).</summary>
    public IReadOnlyDictionary<string, ObjectField>? Fields { get; }

    public bool IsDyn => Kind is null;

    public static readonly CelType Dyn = new("dyn", null);
    public static readonly CelType Null = new("null_type", CelKind.Null);
    public static readonly CelType Bool = new("bool", CelKind.Bool);
    public static readonly CelType Int = new("int", CelKind.Int);
    public static readonly CelType Uint = new("uint", CelKind.Uint);
    public static readonly CelType Double = new("double", CelKind.Double);
    public static readonly CelType String = new("string", CelKind.String);
    public static readonly CelType Timestamp = new("google.protobuf.Timestamp", CelKind.Timestamp);
    public static readonly CelType Duration = new("google.protobuf.Duration", CelKind.Duration);
    public static readonly CelType Type = new("type", CelKind.Type);
    public static readonly CelType DynList = List(Dyn);
    public static readonly CelType StringList = List(String);
    public static readonly CelType DynMap = Map(Dyn, Dyn);
    public static readonly CelType JsonObject = Map(String, Dyn);

    public static CelType List(CelType element) => new($"list({element.Name})", CelKind.List, element);

    public static CelType Map(CelType key, CelType value) => new($"map({key.Name}, {value.Name})", CelKind.Map, value, key);

    public static CelType Object(string name, IReadOnlyDictionary<string, ObjectField> fields) => new(name, CelKind.Map, Dyn, String, fields);

    public bool IsNumber => Kind is CelKind.Int or CelKind.Uint or CelKind.Double;

    /// <summary>Whether a value of type <paramref name="actual"/> may be where this type is expected (dyn fits anything).</summary>
    public bool Accepts(CelType actual)
    {
        if (IsDyn || actual.IsDyn)
            return true;
        if (Kind != actual.Kind)
            return false;
        return Kind switch
        {
            CelKind.List => Element!.Accepts(actual.Element!),
            CelKind.Map => Key!.Accepts(actual.Key!) && Element!.Accepts(actual.Element!),
            _ => true,
        };
    }

    /// <summary>The type two branches (of <c>?:</c>, of list items) share; dyn when they differ.</summary>
    public static CelType Join(CelType a, CelType b) =>
        a.IsDyn || b.IsDyn ? Dyn : a.Kind == b.Kind && a.Name == b.Name ? a : a.Kind == CelKind.Null ? b : b.Kind == CelKind.Null ? a : Dyn;

    public override string ToString() => Name;

    /// <summary>A declared field of an object type: its type and how to read it from the activation.</summary>
    public sealed record ObjectField(CelType Type, Func<Activation, CelValue> Read);
}
