namespace Arbiter.Mcp;

/// <summary>An Arbiter resource a checkpoint is about, e.g. <c>{type: dataset, id: employees}</c>.</summary>
public sealed class CheckpointResource
{
    public string Type { get; set; } = "";

    public string Id { get; set; } = "";
}
