using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// A decision request. Principal context: <see cref="Subject"/> is a user and <see cref="AgentId"/> the agent acting
/// for them (AuthZEN <c>context.agent</c>). Agent-only: <see cref="Subject"/> is the agent and <see cref="AgentId"/> is null.
/// </summary>
public sealed record DecisionRequest(
    Entity Subject,
    string Action,
    Entity Resource,
    string? AgentId = null,
    JsonElement Context = default,
    JsonElement ActionProperties = default)
{
    private readonly JsonElement _context = Context;
    private readonly RequestJson? _contextBytes;

    /// <summary>A request whose <c>context</c> stays bytes until it is read (<see cref="RequestJson"/>).</summary>
    public DecisionRequest(Entity subject, string action, Entity resource, string? agentId, RequestJson context, JsonElement actionProperties)
        : this(subject, action, resource, agentId, default(JsonElement), actionProperties) => _contextBytes = context;

    /// <summary>The AuthZEN <c>context</c> object (undefined when the request has none).</summary>
    public JsonElement Context
    {
        get => _contextBytes?.Element ?? _context;
        init
        {
            _context = value;
            _contextBytes = null;
        }
    }

    /// <summary>Whether the request has a <c>context</c>, without reading it.</summary>
    public bool HasContext => _contextBytes is not null || _context.ValueKind != JsonValueKind.Undefined;
}
