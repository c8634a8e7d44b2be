using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

public static class ResourceTypes
{
    public const string Agent = "agent";
    public const string Tool = "tool";
    public const string McpServer = "mcp_server";
}
