using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbiter.Governance.Drift;

public static class ToolDefinitionStates
{
    /// <summary>The definition seen last is the approved one.</summary>
    public const string Pinned = "pinned";

    /// <summary>The server now describes the tool differently from the approved definition: a finding is open.</summary>
    public const string Changed = "changed";
}

/// <summary>
/// The <c>toolDefinition</c> document (id <c>{server}/{tool}</c>): the approved definition of an MCP server's tool
/// (name, description, input schema) with its hash, and the definition seen last when it differs.
/// </summary>
public sealed record ToolDefinitionRecord
{
    public required string Server { get; init; }
    public required string Tool { get; init; }
    public required string State { get; init; }
    public required string PinnedHash { get; init; }
    public required JsonElement PinnedDefinition { get; init; }
    public string? ObservedHash { get; init; }
    public JsonElement? ObservedDefinition { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset? ChangedAt { get; init; }
    public string? FindingId { get; init; }
    public string? ApprovedBy { get; init; }
    public DateTimeOffset? ApprovedAt { get; init; }
}

/// <summary>A tool as an enforcement point saw it in a server's <c>tools/list</c>.</summary>
public sealed record ObservedTool(string Name, string? Description, JsonElement? InputSchema);

/// <summary>What Arbiter holds for an observed tool: its state and hashes (the observed one is <see cref="Hash"/>).</summary>
public sealed record ToolPinState(string Name, string State, string Hash, string PinnedHash);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ToolDefinitionRecord))]
[JsonSerializable(typeof(ToolPinState))]
[JsonSerializable(typeof(List<ToolPinState>))]
[JsonSerializable(typeof(List<ToolDefinitionRecord>))]
[JsonSerializable(typeof(FindingRecord))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class ToolDefinitionJsonContext : JsonSerializerContext;
