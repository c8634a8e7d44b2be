using System.ComponentModel.DataAnnotations;

namespace Arbiter.Mcp;

/// <summary>
/// Arbiter enforcement on an MCP server (section <c>Arbiter:Mcp</c>). Every list is filtered and every call, read and
/// prompt is decided before its handler runs; obligations are honoured or the call is denied.
/// </summary>
public sealed class ArbiterMcpOptions : IValidatableObject
{
    /// <summary>The Arbiter id of this MCP server (<c>resource.properties.server</c> of its tools).</summary>
    [Required]
    public string ServerId { get; set; } = "";

    /// <summary>Tools registered in Arbiter under another server than <see cref="ServerId"/>: tool name → server id.</summary>
    public Dictionary<string, string> ToolServers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Further checkpoints of a tool, by tool name: the data it reads (<c>data.read</c>, whose <c>rowFilter</c>
    /// obligations reach the handler) and the records it exposes (<c>response.expose</c>, whose <c>redact</c>
    /// obligations are applied to its result). All are decided with the call, in one batch.
    /// </summary>
    public Dictionary<string, ToolCheckpoints> Tools { get; } = new(StringComparer.Ordinal);

    /// <summary>Send the call's arguments as <c>context.arguments</c>, so policy conditions can look at them.</summary>
    public bool SendArguments { get; set; } = true;

    /// <summary>The largest arguments object sent (UTF-8 bytes); a larger one is denied rather than decided blind.</summary>
    [Range(0, 1024 * 1024)]
    public int MaxArgumentBytes { get; set; } = 16 * 1024;

    public McpDenialStyle DenialStyle { get; set; } = McpDenialStyle.JsonRpcError;

    /// <summary>The JSON-RPC error code of a policy denial (implementation-defined server error range).</summary>
    [Range(-32099, -32000)]
    public int DenialErrorCode { get; set; } = -32003;

    /// <summary>The action and resource type of <c>resources/read</c> and <c>resources/list</c> (id: the resource URI).</summary>
    [Required]
    public string ResourceAction { get; set; } = "data.read";

    [Required]
    public string ResourceType { get; set; } = "document";

    /// <summary>The action and resource type of <c>prompts/get</c> and <c>prompts/list</c> (id: the prompt name).</summary>
    [Required]
    public string PromptAction { get; set; } = "prompts/get";

    [Required]
    public string PromptType { get; set; } = "prompt";

    /// <summary>How a caller's token becomes an AuthZEN subject and agent.</summary>
    public CallerMappingOptions Caller { get; } = new();

    /// <summary>The server a tool belongs to in Arbiter.</summary>
    public string ServerOf(string tool) => ToolServers.TryGetValue(tool, out var server) ? server : ServerId;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (tool, checkpoints) in Tools)
        {
            foreach (var resource in checkpoints.Reads.Concat(checkpoints.Exposes))
            {
                if (string.IsNullOrWhiteSpace(resource.Type) || string.IsNullOrWhiteSpace(resource.Id))
                    yield return new ValidationResult($"Tools:{tool}: every checkpoint resource needs a Type and an Id", [nameof(Tools)]);
            }
        }
        foreach (var problem in Caller.Validate())
            yield return problem;
    }
}
