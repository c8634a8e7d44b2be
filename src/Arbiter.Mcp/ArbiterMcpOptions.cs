using System.ComponentModel.DataAnnotations;

namespace Arbiter.Mcp;

/// <summary>How a tool's answer is refused.</summary>
public enum McpDenialStyle
{
    /// <summary>A JSON-RPC error (code <see cref="ArbiterMcpOptions.DenialErrorCode"/>) whose data carries the reason and decision id.</summary>
    JsonRpcError,

    /// <summary>A <c>CallToolResult</c> with <c>isError: true</c>, so the model sees the reason as the tool's answer.</summary>
    ToolError,
}

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

/// <summary>The checkpoints a tool passes besides <c>tools/call</c>.</summary>
public sealed class ToolCheckpoints
{
    /// <summary>Data the tool reads: each a <c>data.read</c> decision; <c>rowFilter</c> obligations go to the handler.</summary>
    public List<CheckpointResource> Reads { get; } = [];

    /// <summary>Records the tool's answer exposes: each a <c>response.expose</c> decision; <c>redact</c> obligations apply to the answer.</summary>
    public List<CheckpointResource> Exposes { get; } = [];

    /// <summary>Field name → classification, so a <c>redact</c> obligation by classification knows which fields to remove.</summary>
    public Dictionary<string, string> FieldClassifications { get; } = new(StringComparer.Ordinal);
}

/// <summary>An Arbiter resource a checkpoint is about, e.g. <c>{type: dataset, id: employees}</c>.</summary>
public sealed class CheckpointResource
{
    public string Type { get; set; } = "";

    public string Id { get; set; } = "";
}
