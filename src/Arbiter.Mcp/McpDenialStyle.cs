namespace Arbiter.Mcp;

/// <summary>How a tool's answer is refused.</summary>
public enum McpDenialStyle
{
    /// <summary>A JSON-RPC error (code <see cref="ArbiterMcpOptions.DenialErrorCode"/>) whose data carries the reason and decision id.</summary>
    JsonRpcError,

    /// <summary>A <c>CallToolResult</c> with <c>isError: true</c>, so the model sees the reason as the tool's answer.</summary>
    ToolError,
}
