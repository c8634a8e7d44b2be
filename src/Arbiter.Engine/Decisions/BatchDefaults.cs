using System.Text.Json;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// A batch request's top-level <c>subject</c>, <c>action</c>, <c>resource</c> and <c>context</c>, which each item's own
/// members replace one by one (AuthZEN 1.0), each read the first time an item needs it and then kept for the batch.
/// An MCP filter's <c>tools/list</c> check names one subject, action and context for hundreds of tools: read per item,
/// they made the same strings and entities again for every one. A member the batch gets wrong is the same problem for
/// every item that takes it. Used by one request at a time.
/// </summary>
public sealed class BatchDefaults(JsonElement root)
{
    private RequestReader.EntityPart? _subject, _resource;
    private RequestReader.ActionPart? _action;
    private RequestReader.ContextPart? _context;

    internal RequestReader.EntityPart Subject => _subject ??= RequestReader.ReadEntityPart(Member("subject"u8), "subject");

    internal RequestReader.ActionPart Action => _action ??= RequestReader.ReadAction(Member("action"u8));

    internal RequestReader.EntityPart Resource => _resource ??= RequestReader.ReadEntityPart(Member("resource"u8), "resource");

    internal RequestReader.ContextPart Context => _context ??= RequestReader.ReadContext(Member("context"u8));

    private JsonElement Member(ReadOnlySpan<byte> name) => RequestReader.Own(root, name, out var member) ? member : default;
}
