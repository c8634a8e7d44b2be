namespace Arbiter.Engine.Conditions;

/// <summary>The run-time kind of a <see cref="CelValue"/>.</summary>
public enum CelKind : byte
{
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    List,
    Map,
    Timestamp,
    Duration,
    Type,
    Error,
}
