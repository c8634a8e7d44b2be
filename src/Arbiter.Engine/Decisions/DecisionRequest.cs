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
    JsonElement ActionProperties = default);
