namespace Arbiter.Engine.Conditions;

/// <summary>What a <see cref="Token"/> is.</summary>
public enum TokenKind : byte
{
    End,
    Identifier,
    Literal,
    /// <summary>An integer literal whose magnitude is 2^63: valid only right after a unary minus.</summary>
    MinInt,
    Punctuation,
}
