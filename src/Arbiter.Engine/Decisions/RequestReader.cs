using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// Reads an AuthZEN 1.0 evaluation request (<c>subject</c>, <c>action</c>, <c>resource</c>, <c>context</c>) into a
/// <see cref="DecisionRequest"/>. Unknown members are ignored; a missing or mistyped required member is a
/// <see cref="Problem"/> naming it. In a batch, an item's members replace the request's defaults one by one.
/// The acting agent in principal context is <c>context.agent</c> (<c>{"type":"agent","id":...}</c>).
/// </summary>
public static class RequestReader
{
    public static DecisionRequest? Read(JsonElement item, JsonElement defaults, out Problem? problem) =>
        ReadInBatch(item, defaults.ValueKind == JsonValueKind.Object ? new BatchDefaults(defaults) : null, out problem);

    /// <summary>
    /// Reads one item of a batch; a member the item does not name is the batch's (<paramref name="defaults"/>, read once
    /// for the whole batch). The first problem wins, in the order subject, action, resource, context.
    /// </summary>
    public static DecisionRequest? ReadInBatch(JsonElement item, BatchDefaults? defaults, out Problem? problem)
    {
        problem = null;
        if (item.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            problem = new Problem("", "the evaluation must be a JSON object");
            return null;
        }
        // Names as UTF-8 literals: a lookup by string name transcodes it first, on every lookup of every item.
        var subject = Own(item, "subject"u8, out var own) ? ReadEntityPart(own, "subject") : defaults?.Subject ?? ReadEntityPart(default, "subject");
        var action = Own(item, "action"u8, out own) ? ReadAction(own) : defaults?.Action ?? ReadAction(default);
        var resource = Own(item, "resource"u8, out own) ? ReadEntityPart(own, "resource") : defaults?.Resource ?? ReadEntityPart(default, "resource");
        var context = Own(item, "context"u8, out own) ? ReadContext(own) : defaults?.Context ?? ReadContext(default);

        problem = subject.Problem ?? action.Problem ?? resource.Problem ?? context.Problem;
        if (problem is not null)
            return null;
        return new DecisionRequest(subject.Entity!, action.Name!, resource.Entity!, context.AgentId, context.Context, action.Properties);
    }

    /// <summary>Whether <paramref name="item"/> is an object naming <paramref name="name"/> (null included), and that member.</summary>
    internal static bool Own(JsonElement item, ReadOnlySpan<byte> name, out JsonElement member)
    {
        member = default;
        return item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out member);
    }

    /// <summary>The subject or the resource (<paramref name="name"/>), with its first problem.</summary>
    internal static EntityPart ReadEntityPart(JsonElement element, string name)
    {
        Problem? problem = null;
        var entity = ReadEntity(element, name, ref problem);
        return new EntityPart(entity, problem);
    }

    internal static ActionPart ReadAction(JsonElement element)
    {
        Problem? problem = null;
        var name = RequiredString(element, "action", "name", "name"u8, ref problem, KnownActions);
        return new ActionPart(name, element.ValueKind == JsonValueKind.Object && element.TryGetProperty("properties"u8, out var p) ? p : default, problem);
    }

    internal static ContextPart ReadContext(JsonElement context)
    {
        Problem? problem = null;
        if (context.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object or JsonValueKind.Null))
            problem = new Problem("/context", "'context' must be an object");

        string? agentId = null;
        if (context.ValueKind == JsonValueKind.Object && context.TryGetProperty("agent"u8, out var agent) && agent.ValueKind != JsonValueKind.Null)
        {
            if (agent.ValueKind != JsonValueKind.Object)
                problem ??= new Problem("/context/agent", "'context.agent' must be an object {type:'agent', id}");
            else
            {
                agentId = RequiredString(agent, "context/agent", "id", "id"u8, ref problem);
                if (agent.TryGetProperty("type"u8, out var t) && t.ValueKind != JsonValueKind.Null
                    && !(t.ValueKind == JsonValueKind.String && t.ValueEquals(AgentUtf8)))
                    problem ??= new Problem("/context/agent/type", "'context.agent.type' must be 'agent'");
            }
        }
        return new ContextPart(context.ValueKind == JsonValueKind.Object ? context : default, agentId, problem);
    }

    // Structs: an item that names all its members reads four of them, and a class each was four more allocations per decision.
    internal readonly record struct EntityPart(Entity? Entity, Problem? Problem);

    internal readonly record struct ActionPart(string? Name, JsonElement Properties, Problem? Problem);

    internal readonly record struct ContextPart(JsonElement Context, string? AgentId, Problem? Problem);

    /// <summary>An item's member if present, else the default's.</summary>
    public static JsonElement Member(JsonElement item, JsonElement defaults, string name)
    {
        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var own))
            return own;
        if (defaults.ValueKind == JsonValueKind.Object && defaults.TryGetProperty(name, out var shared))
            return shared;
        return default;
    }

    public static Entity? ReadEntity(JsonElement element, string name, ref Problem? problem)
    {
        if (element.ValueKind == JsonValueKind.Undefined || element.ValueKind == JsonValueKind.Null)
        {
            problem ??= new Problem("/" + name, $"'{name}' is required");
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem ??= new Problem("/" + name, $"'{name}' must be an object");
            return null;
        }
        var type = RequiredString(element, name, "type", "type"u8, ref problem, KnownTypes);
        var id = RequiredString(element, name, "id", "id"u8, ref problem);
        var properties = element.TryGetProperty("properties"u8, out var p) ? p : default;
        if (properties.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object or JsonValueKind.Null))
            problem ??= new Problem($"/{name}/properties", $"'{name}.properties' must be an object");
        return type is null || id is null ? null : new Entity(type, id, properties.ValueKind == JsonValueKind.Object ? properties : default);
    }

    private static ReadOnlySpan<byte> AgentUtf8 => "agent"u8;

    /// <summary>
    /// Entity types a request names over and over: read as the one shared string instead of a new one per
    /// request (a batch of 100 allocated 300 of them). Ids are not here: they are many and each is read once.
    /// </summary>
    internal static readonly (byte[] Utf8, string Text)[] KnownTypes = Utf8Of(
        SubjectTypes.User, SubjectTypes.Agent, ResourceTypes.Tool, ResourceTypes.McpServer, "document", "record");

    /// <summary>The same for action names: a list of their own, so an action is not compared with every type first.</summary>
    internal static readonly (byte[] Utf8, string Text)[] KnownActions = Utf8Of(
        WellKnownActions.ToolsCall, WellKnownActions.AgentInvoke, WellKnownActions.ToolsList, WellKnownActions.DataRead,
        WellKnownActions.ResponseExpose);

    internal static (byte[] Utf8, string Text)[] Utf8Of(params string[] texts) =>
        [.. texts.Select(text => (System.Text.Encoding.UTF8.GetBytes(text), text))];

    private static string? RequiredString(JsonElement element, string parent, string name, ReadOnlySpan<byte> utf8Name, ref Problem? problem, (byte[] Utf8, string Text)[]? known = null)
    {
        if (element.ValueKind == JsonValueKind.Undefined || element.ValueKind == JsonValueKind.Null)
        {
            problem ??= new Problem("/" + parent, $"'{parent.Replace('/', '.')}' is required");
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem ??= new Problem("/" + parent, $"'{parent.Replace('/', '.')}' must be an object");
            return null;
        }
        if (!element.TryGetProperty(utf8Name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            problem ??= new Problem($"/{parent}/{name}", $"'{parent.Replace('/', '.')}.{name}' is required");
            return null;
        }
        if (value.ValueKind == JsonValueKind.String && known is not null)
        {
            foreach (var (utf8, text) in known)
            {
                if (value.ValueEquals(utf8))
                    return text;
            }
        }
        var read = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
        if (read.Length == 0)
        {
            problem ??= new Problem($"/{parent}/{name}", $"'{parent.Replace('/', '.')}.{name}' must be a non-empty string");
            return null;
        }
        return read;
    }
}
