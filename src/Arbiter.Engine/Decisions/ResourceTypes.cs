using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// Resource types with a meaning of their own. Tools, MCP servers and agents are a closed inventory (only registered
/// ones are decided); a user as a resource is the directory's user when registered; every other type is data.
/// </summary>
public static class ResourceTypes
{
    public const string Agent = "agent";
    public const string User = "user";
    public const string Tool = "tool";
    public const string McpServer = "mcp_server";

    /// <summary>Only registered resources of these types are decided: a request cannot make one up.</summary>
    public static bool IsClosed(string type) => type is Tool or McpServer or Agent;
}
