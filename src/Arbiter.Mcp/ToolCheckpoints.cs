namespace Arbiter.Mcp;

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
