using System.ComponentModel;
using ModelContextProtocol.Server;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>Two prompts, so a list can be seen filtered.</summary>
[McpServerPromptType]
public sealed class TestPrompts
{
    [McpServerPrompt(Name = "greet"), Description("A greeting.")]
    public static string Greet() => "Hello";

    [McpServerPrompt(Name = "escalate"), Description("An escalation.")]
    public static string Escalate() => "Escalate";
}
