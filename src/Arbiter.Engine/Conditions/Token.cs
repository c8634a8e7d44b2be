namespace Arbiter.Engine.Conditions;

/// <summary>One token: its kind, where it starts, its text (identifiers, punctuation) or value (literals).</summary>
public readonly record struct Token(TokenKind Kind, int Position, string Text, CelValue Value = default)
{
    public bool Is(string punctuation) => Kind == TokenKind.Punctuation && Text == punctuation;
}
