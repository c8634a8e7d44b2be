using System.Globalization;
using System.Text;

namespace Arbiter.Engine.Conditions;

/// <summary>Splits a condition into CEL tokens (langdef.md "Lexical structure"). Bytes literals are not supported.</summary>
public sealed class Lexer(string text)
{
    /// <summary>Words CEL reserves: not names of variables or functions, but fields after a dot (<c>context.package</c>).</summary>
    public static readonly HashSet<string> Reserved =
    [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    ];

    private int _at;

    public Token Next()
    {
        SkipSpaceAndComments();
        if (_at >= text.Length)
            return new(TokenKind.End, _at, "");
        var start = _at;
        var c = text[_at];
        if (char.IsAsciiDigit(c) || (c == '.' && _at + 1 < text.Length && char.IsAsciiDigit(text[_at + 1])))
            return Number(start);
        if (c is '"' or '\'')
            return new(TokenKind.Literal, start, "", CelValue.String(Quoted(raw: false)));
        if (char.IsAsciiLetter(c) || c == '_')
        {
            if (c is 'r' or 'R' && _at + 1 < text.Length && text[_at + 1] is '"' or '\'')
            {
                _at++;
                return new(TokenKind.Literal, start, "", CelValue.String(Quoted(raw: true)));
            }
            if (c is 'b' or 'B' && _at + 1 < text.Length && text[_at + 1] is '"' or '\'')
                throw new ConditionException("bytes literals are not supported", start);
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
                _at++;
            var word = text[start.._at];
            return word switch
            {
                "true" => new(TokenKind.Literal, start, word, CelValue.True),
                "false" => new(TokenKind.Literal, start, word, CelValue.False),
                "null" => new(TokenKind.Literal, start, word, CelValue.Null),
                "in" => new(TokenKind.Punctuation, start, word),
                _ => new(TokenKind.Identifier, start, word),
            };
        }
        var two = _at + 1 < text.Length ? text.Substring(_at, 2) : "";
        if (two is "<=" or ">=" or "==" or "!=" or "&&" or "||")
        {
            _at += 2;
            return new(TokenKind.Punctuation, start, two);
        }
        if ("()[]{}.,:?!-+*/%<>".Contains(c, StringComparison.Ordinal))
        {
            _at++;
            return new(TokenKind.Punctuation, start, c.ToString());
        }
        throw new ConditionException($"unexpected character '{c}'", start);
    }

    private void SkipSpaceAndComments()
    {
        while (_at < text.Length)
        {
            if (char.IsWhiteSpace(text[_at]))
                _at++;
            else if (text[_at] == '/' && _at + 1 < text.Length && text[_at + 1] == '/')
                while (_at < text.Length && text[_at] != '\n')
                    _at++;
            else
                return;
        }
    }

    private Token Number(int start)
    {
        if (text[_at] == '0' && _at + 1 < text.Length && text[_at + 1] is 'x' or 'X')
        {
            _at += 2;
            var digitsStart = _at;
            while (_at < text.Length && char.IsAsciiHexDigit(text[_at]))
                _at++;
            if (_at == digitsStart || !ulong.TryParse(text.AsSpan(digitsStart, _at - digitsStart), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
                throw new ConditionException("invalid hexadecimal literal", start);
            return Integer(start, hex);
        }
        var isDouble = false;
        while (_at < text.Length && char.IsAsciiDigit(text[_at]))
            _at++;
        if (_at + 1 < text.Length && text[_at] == '.' && char.IsAsciiDigit(text[_at + 1]))
        {
            isDouble = true;
            _at++;
            while (_at < text.Length && char.IsAsciiDigit(text[_at]))
                _at++;
        }
        if (_at < text.Length && text[_at] is 'e' or 'E')
        {
            var save = _at;
            _at++;
            if (_at < text.Length && text[_at] is '+' or '-')
                _at++;
            if (_at < text.Length && char.IsAsciiDigit(text[_at]))
            {
                isDouble = true;
                while (_at < text.Length && char.IsAsciiDigit(text[_at]))
                    _at++;
            }
            else
            {
                _at = save;
            }
        }
        var span = text.AsSpan(start, _at - start);
        if (isDouble)
            return new(TokenKind.Literal, start, "", CelValue.Double(double.Parse(span, NumberStyles.Float, CultureInfo.InvariantCulture)));
        if (!ulong.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new ConditionException("integer literal out of range", start);
        return Integer(start, value);
    }

    private Token Integer(int start, ulong value)
    {
        if (_at < text.Length && text[_at] is 'u' or 'U')
        {
            _at++;
            return new(TokenKind.Literal, start, "", CelValue.Uint(value));
        }
        if (value == 1UL << 63)
            return new(TokenKind.MinInt, start, "", CelValue.Int(long.MinValue));
        if (value > long.MaxValue)
            throw new ConditionException("integer literal out of range", start);
        return new(TokenKind.Literal, start, "", CelValue.Int((long)value));
    }

    private string Quoted(bool raw)
    {
        var start = _at;
        var quote = text[_at];
        var triple = _at + 2 < text.Length && text[_at + 1] == quote && text[_at + 2] == quote;
        _at += triple ? 3 : 1;
        var sb = new StringBuilder();
        while (true)
        {
            if (_at >= text.Length || (!triple && text[_at] is '\n' or '\r'))
                throw new ConditionException("unterminated string", start);
            var c = text[_at];
            if (c == quote && (!triple || (_at + 2 < text.Length && text[_at + 1] == quote && text[_at + 2] == quote)))
            {
                _at += triple ? 3 : 1;
                return sb.ToString();
            }
            if (c == '\\' && !raw)
            {
                Escape(sb);
                continue;
            }
            sb.Append(c);
            _at++;
        }
    }

    private void Escape(StringBuilder sb)
    {
        var start = _at;
        _at++;
        if (_at >= text.Length)
            throw new ConditionException("unterminated string", start);
        var c = text[_at++];
        switch (c)
        {
            case 'a': sb.Append('\a'); return;
            case 'b': sb.Append('\b'); return;
            case 'f': sb.Append('\f'); return;
            case 'n': sb.Append('\n'); return;
            case 'r': sb.Append('\r'); return;
            case 't': sb.Append('\t'); return;
            case 'v': sb.Append('\v'); return;
            case '\\' or '?' or '"' or '\'' or '`': sb.Append(c); return;
            case 'x' or 'X': sb.Append((char)Hex(2, start)); return;
            case 'u': sb.Append((char)Hex(4, start)); return;
            case 'U':
                var code = Hex(8, start);
                if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                    throw new ConditionException("invalid unicode escape", start);
                sb.Append(char.ConvertFromUtf32(code));
                return;
            case >= '0' and <= '3':
                if (_at + 1 < text.Length && text[_at] is >= '0' and <= '7' && text[_at + 1] is >= '0' and <= '7')
                {
                    sb.Append((char)(((c - '0') * 64) + ((text[_at] - '0') * 8) + (text[_at + 1] - '0')));
                    _at += 2;
                    return;
                }
                break;
        }
        throw new ConditionException($"invalid escape sequence '\\{c}'", start);
    }

    private int Hex(int digits, int start)
    {
        if (_at + digits > text.Length || !int.TryParse(text.AsSpan(_at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            throw new ConditionException("invalid escape sequence", start);
        _at += digits;
        return value;
    }
}
