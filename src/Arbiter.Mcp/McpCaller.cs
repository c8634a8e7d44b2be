using System.Text.Json.Nodes;
using Arbiter.Client;

namespace Arbiter.Mcp;

/// <summary>Who is asking, as Arbiter sees it: the subject, and in principal context the agent (<c>context.agent</c>).</summary>
public sealed record McpCaller(Subject Subject, string AgentId, bool AgentOnly)
{
    public JsonObject Context(string agentType) => AgentOnly
        ? []
        : new JsonObject { ["agent"] = new JsonObject { ["type"] = agentType, ["id"] = AgentId } };
}
