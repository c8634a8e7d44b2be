using System.Text.Json;

namespace Arbiter.Engine.Decisions;

/// <summary>What an AuthZEN evaluation body asks, as <see cref="EvaluationBodyReader"/> read it from the bytes.</summary>
public sealed class EvaluationBody
{
    /// <summary><c>options.explain</c>, when the body gives it.</summary>
    public bool? Explain { get; internal set; }

    /// <summary><c>options.evaluations_semantic</c>, when the body gives it: one of the three AuthZEN names.</summary>
    public string? Semantic { get; internal set; }

    /// <summary>The top-level members as one request, when they make one; null when an item needs them only as defaults.</summary>
    public DecisionRequest? Evaluation { get; internal set; }

    /// <summary>The items of a non-empty <c>evaluations</c>, each completed by the top-level members; empty when there are none.</summary>
    public IReadOnlyList<DecisionRequest> Items { get; internal set; } = [];
}

/// <summary>
/// Reads an evaluation body (single or batch) from its bytes in one pass, without a document of the whole body:
/// the strings are read where they stand; a <c>context</c> is kept as its bytes until something reads it
/// (<see cref="RequestJson"/>), and <c>properties</c> become small documents of their own. Its answer is what <see cref="RequestReader"/> reads from
/// the strict document of the same body.
/// <para>It reads only the shape clients send, and says so by returning null for anything else: a member it does
/// not know, a null where the strict reading names a problem or keeps the null, a value of another type, an escaped member name, a member given twice (anywhere in the body), an
/// empty string, a syntax error, a body deeper than the bound. The caller then reads the body the strict way, which names
/// the problem. So this reader never decides what is wrong; it only has to be right about what it accepts.</para>
/// The caller has checked first that every string of the body can be decoded (valid UTF-8, no surrogate escape).
/// </summary>
public static class EvaluationBodyReader
{
    /// <summary>The most members an object of a free-form value may have here (names are compared pairwise).</summary>
    private const int MaxMembersCompared = 64;

    /// <summary>
    /// The items as read, before the body's defaults complete them: one list per thread, reused (the reading never
    /// awaits), since growing a new one for each batch was a tenth of what the decision path allocated.
    /// </summary>
    [ThreadStatic]
    private static List<Parts>? t_items;

    public static EvaluationBody? TryRead(ReadOnlySpan<byte> utf8, int maxDepth, int maxItems)
    {
        var items = t_items ?? new List<Parts>();
        t_items = null; // a reading that re-enters (none does) gets a list of its own
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
            return ReadBody(ref reader, utf8, maxItems, items);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // the strict reading names it
        }
        finally
        {
            items.Clear(); // it holds the request's strings and entities
            if (items.Capacity <= MaxItemsKept)
                t_items = items;
        }
    }

    /// <summary>The largest list kept for the next reading (a bound on what each thread holds between requests).</summary>
    private const int MaxItemsKept = 1024;

    /// <summary>One request's members as given; an item's missing ones are the body's.</summary>
    private struct Parts
    {
        public Entity? Subject, Resource;
        public string? Action;
        public JsonElement ActionProperties;
        public bool ContextGiven; // a null context is given too: no context, none of the body's either
        public RequestJson? Context;
        public string? AgentId;

        public readonly DecisionRequest? Complete(in Parts defaults)
        {
            var subject = Subject ?? defaults.Subject;
            var action = Action ?? defaults.Action;
            var resource = Resource ?? defaults.Resource;
            if (subject is null || action is null || resource is null)
                return null;
            var actionProperties = Action is null ? defaults.ActionProperties : ActionProperties;
            var (context, agentId) = ContextGiven ? (Context, AgentId) : (defaults.Context, defaults.AgentId);
            return context is null
                ? new DecisionRequest(subject, action, resource, agentId, default(JsonElement), actionProperties)
                : new DecisionRequest(subject, action, resource, agentId, context, actionProperties);
        }
    }

    private static EvaluationBody? ReadBody(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, int maxItems, List<Parts> items)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            return null;
        var body = new EvaluationBody();
        var top = default(Parts);
        var hasItems = false;
        var names = new NameScratch();
        var seen = 0;
        while (Next(ref r, ref seen, out var member))
        {
            switch (member)
            {
                case Member.Evaluations:
                    if (r.TokenType == JsonTokenType.Null)
                        break; // as if absent: the top level is the evaluation
                    if (r.TokenType != JsonTokenType.StartArray)
                        return null;
                    hasItems = true;
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (items.Count == maxItems || !ReadParts(ref r, utf8, names, out var item))
                            return null;
                        items.Add(item);
                    }
                    break;
                case Member.Options:
                    if (r.TokenType != JsonTokenType.Null && !ReadOptions(ref r, body))
                        return null;
                    break;
                default:
                    if (!ReadPart(ref r, utf8, names, member, ref top))
                        return null;
                    break;
            }
        }
        if (r.Read())
            return null; // more after the object (the reader throws for anything but white space)

        body.Evaluation = top.Complete(default);
        if (!hasItems || items.Count == 0)
            return body.Evaluation is null ? null : body;
        var requests = new DecisionRequest[items.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            if (items[i].Complete(top) is not { } request)
                return null;
            requests[i] = request;
        }
        body.Items = requests;
        return body;
    }

    /// <summary>The members this reader knows, each a bit of the set an object has given so far.</summary>
    private enum Member
    {
        Subject = 1,
        Action = 2,
        Resource = 4,
        Context = 8,
        Evaluations = 16,
        Options = 32,
        Type = 64,
        Id = 128,
        Properties = 256,
        Name = 512,
        Explain = 1024,
        Semantic = 2048,
    }

    /// <summary>
    /// Moves to the next member's value of the object being read; false at its end. The member is 0 (not this
    /// reader's shape) for a name it does not know, an escaped one, or one the object has given before.
    /// </summary>
    private static bool Next(ref Utf8JsonReader r, ref int seen, out Member member)
    {
        r.Read();
        member = default;
        if (r.TokenType == JsonTokenType.EndObject)
            return false;
        if (!r.ValueIsEscaped && Known(r.ValueSpan) is var known && (seen & (int)known) == 0)
        {
            seen |= (int)known;
            member = known;
        }
        r.Read();
        return true;
    }

    private static Member Known(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Member.Id,
        4 when name.SequenceEqual("type"u8) => Member.Type,
        4 when name.SequenceEqual("name"u8) => Member.Name,
        6 when name.SequenceEqual("action"u8) => Member.Action,
        7 when name.SequenceEqual("subject"u8) => Member.Subject,
        7 when name.SequenceEqual("context"u8) => Member.Context,
        7 when name.SequenceEqual("options"u8) => Member.Options,
        7 when name.SequenceEqual("explain"u8) => Member.Explain,
        8 when name.SequenceEqual("resource"u8) => Member.Resource,
        10 when name.SequenceEqual("properties"u8) => Member.Properties,
        11 when name.SequenceEqual("evaluations"u8) => Member.Evaluations,
        20 when name.SequenceEqual("evaluations_semantic"u8) => Member.Semantic,
        _ => 0,
    };

    /// <summary>An item of <c>evaluations</c>: an object of subject, action, resource, context.</summary>
    private static bool ReadParts(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, NameScratch names, out Parts parts)
    {
        parts = default;
        if (r.TokenType != JsonTokenType.StartObject)
            return false;
        var seen = 0;
        while (Next(ref r, ref seen, out var member))
        {
            if (!ReadPart(ref r, utf8, names, member, ref parts))
                return false;
        }
        return true;
    }

    private static bool ReadPart(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, NameScratch names, Member member, ref Parts parts)
    {
        switch (member)
        {
            case Member.Subject:
                return (parts.Subject = ReadEntity(ref r, utf8, names)) is not null;
            case Member.Resource:
                return (parts.Resource = ReadEntity(ref r, utf8, names)) is not null;
            case Member.Action:
                return ReadAction(ref r, utf8, names, ref parts);
            case Member.Context:
                parts.ContextGiven = true;
                if (r.TokenType == JsonTokenType.Null)
                    return true;
                if (r.TokenType != JsonTokenType.StartObject || !names.Unique(r, utf8))
                    return false;
                var start = (int)r.TokenStartIndex;
                if (!ReadContext(ref r, out parts.AgentId))
                    return false;
                parts.Context = new RequestJson(utf8[start..(int)r.BytesConsumed].ToArray());
                return true;
            default:
                return false;
        }
    }

    /// <summary>A subject or resource: <c>type</c> and <c>id</c> (non-empty strings), <c>properties</c> (an object, or null for none).</summary>
    private static Entity? ReadEntity(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, NameScratch names)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            return null;
        string? type = null, id = null;
        JsonElement properties = default;
        var seen = 0;
        while (Next(ref r, ref seen, out var member))
        {
            switch (member)
            {
                case Member.Type:
                    if ((type = ReadString(ref r, RequestReader.KnownTypes)) is null)
                        return null;
                    break;
                case Member.Id:
                    if ((id = ReadString(ref r, null)) is null)
                        return null;
                    break;
                case Member.Properties:
                    if (r.TokenType != JsonTokenType.Null && !ReadObject(ref r, utf8, names, out properties))
                        return null;
                    break;
                default:
                    return null;
            }
        }
        return type is null || id is null ? null : new Entity(type, id, properties);
    }

    private static bool ReadAction(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, NameScratch names, ref Parts parts)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            return false;
        var seen = 0;
        while (Next(ref r, ref seen, out var member))
        {
            switch (member)
            {
                case Member.Name:
                    if ((parts.Action = ReadString(ref r, RequestReader.KnownActions)) is null)
                        return false;
                    break;
                case Member.Properties:
                    if (!ReadObject(ref r, utf8, names, out parts.ActionProperties))
                        return false;
                    break;
                default:
                    return false;
            }
        }
        return parts.Action is not null;
    }

    /// <summary>
    /// The context (checked for repeated names already): its <c>agent</c>, absent, null or <c>{"type":"agent","id":…}</c>
    /// (type optional, other members as they come); every other member is passed over, kept in the context's bytes.
    /// </summary>
    private static bool ReadContext(ref Utf8JsonReader r, out string? agentId)
    {
        agentId = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var agent = r.ValueSpan.SequenceEqual("agent"u8); // names are unescaped here (Unique)
            r.Read();
            if (!agent)
            {
                r.Skip();
                continue;
            }
            if (r.TokenType == JsonTokenType.Null)
                continue; // no agent
            if (r.TokenType != JsonTokenType.StartObject)
                return false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var name = r.ValueSpan;
                var isId = name.SequenceEqual("id"u8);
                var isType = !isId && name.SequenceEqual("type"u8);
                r.Read();
                if (isId)
                {
                    if ((agentId = ReadString(ref r, null)) is null)
                        return false;
                }
                else if (isType)
                {
                    if (r.TokenType != JsonTokenType.String || r.ValueIsEscaped || !r.ValueSpan.SequenceEqual("agent"u8))
                        return false;
                }
                else
                {
                    r.Skip();
                }
            }
            if (agentId is null)
                return false;
        }
        return true;
    }

    private static bool ReadOptions(ref Utf8JsonReader r, EvaluationBody body)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            return false;
        var seen = 0;
        while (Next(ref r, ref seen, out var member))
        {
            switch (member)
            {
                case Member.Explain when r.TokenType is JsonTokenType.True or JsonTokenType.False:
                    body.Explain = r.GetBoolean();
                    break;
                case Member.Semantic when r.TokenType == JsonTokenType.String && !r.ValueIsEscaped:
                    body.Semantic = Match(r.ValueSpan, Semantics);
                    if (body.Semantic is null)
                        return false;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    private static readonly (byte[] Utf8, string Text)[] Semantics = RequestReader.Utf8Of("execute_all", "deny_on_first_deny", "permit_on_first_permit");

    /// <summary>A non-empty string, as the shared instance when it is one of <paramref name="known"/>; else null.</summary>
    private static string? ReadString(ref Utf8JsonReader r, (byte[] Utf8, string Text)[]? known)
    {
        if (r.TokenType != JsonTokenType.String)
            return null;
        if (known is not null && !r.ValueIsEscaped && Match(r.ValueSpan, known) is { } shared)
            return shared;
        var read = r.GetString()!;
        return read.Length == 0 ? null : read;
    }

    private static string? Match(ReadOnlySpan<byte> utf8, (byte[] Utf8, string Text)[] known)
    {
        foreach (var (bytes, text) in known)
        {
            if (utf8.SequenceEqual(bytes))
                return text;
        }
        return null;
    }

    /// <summary>A free-form object (properties), checked for repeated names, as a document of its own.</summary>
    private static bool ReadObject(ref Utf8JsonReader r, ReadOnlySpan<byte> utf8, NameScratch names, out JsonElement value)
    {
        value = default;
        if (r.TokenType != JsonTokenType.StartObject || !names.Unique(r, utf8))
            return false;
        value = JsonElement.ParseValue(ref r);
        return true;
    }

    /// <summary>
    /// The duplicate check for a free-form value: the member names of each open object, as places in the body,
    /// compared pairwise. One per body, reused by every value.
    /// </summary>
    private sealed class NameScratch
    {
        private readonly List<(int Start, int Length)> _names = [];
        private readonly Stack<int> _objects = new();

        /// <summary>Whether no object in the value at <paramref name="r"/> (a copy: the caller's reader does not move) repeats a name.</summary>
        public bool Unique(Utf8JsonReader r, ReadOnlySpan<byte> utf8)
        {
            _names.Clear();
            _objects.Clear();
            var depth = r.CurrentDepth;
            do
            {
                switch (r.TokenType)
                {
                    case JsonTokenType.StartObject:
                        _objects.Push(_names.Count);
                        break;
                    case JsonTokenType.StartArray:
                        _objects.Push(-1);
                        break;
                    case JsonTokenType.EndObject:
                        _names.RemoveRange(_objects.Peek(), _names.Count - _objects.Pop());
                        break;
                    case JsonTokenType.EndArray:
                        _objects.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        if (r.ValueIsEscaped)
                            return false;
                        var first = _objects.Peek();
                        if (_names.Count - first >= MaxMembersCompared)
                            return false;
                        var name = r.ValueSpan;
                        for (var i = first; i < _names.Count; i++)
                        {
                            var (start, length) = _names[i];
                            if (utf8.Slice(start, length).SequenceEqual(name))
                                return false;
                        }
                        _names.Add(((int)r.TokenStartIndex + 1, name.Length));
                        break;
                }
                if (r.CurrentDepth == depth && r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                    return true;
            }
            while (r.Read());
            return false;
        }
    }
}
