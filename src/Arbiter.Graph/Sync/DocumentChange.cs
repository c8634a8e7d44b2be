using System.Text.Json.Nodes;

namespace Arbiter.Graph.Sync;

/// <summary>A change to one document for <see cref="DocumentWriter.ApplyAsync"/>: a mutation (as for <see cref="DocumentWriter.UpdateAsync"/>) or a delete.</summary>
internal sealed record DocumentChange(string Id, Func<JsonObject?, JsonObject?>? Mutate)
{
    public static DocumentChange Update(string id, Func<JsonObject?, JsonObject?> mutate) => new(id, mutate);

    public static DocumentChange Delete(string id) => new(id, null);

    public bool IsDelete => Mutate is null;
}
