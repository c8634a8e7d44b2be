using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Store;

namespace Arbiter.Api.Admin;

public sealed record ImportResult(int Written, IReadOnlyList<Problem> Problems)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// Import and export of a whole tenant (policies + directory) in the tenant file format
/// (<see cref="TenantFile"/>). An import is checked first — every invalid policy or item is listed and nothing is
/// written — then upserted document by document (idempotent: importing twice changes nothing).
/// </summary>
public sealed class TenantTransfer(IDocumentStore store)
{
    public async Task<ImportResult> ImportAsync(string tenantId, JsonElement file, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var problems = new List<Problem>();
        var changes = TenantFile.Read(file, problems);
        var index = changes.Select((c, i) => (c, i)).Where(x => x.c.Kind == SourceKinds.Policy);
        foreach (var (change, _) in index)
        {
            var parsed = PolicyParser.Parse(change.Body!.Value);
            problems.AddRange(parsed.Problems.Select(p => new Problem($"/policies[id={change.Id}]{p.Path}", p.Message)));
        }
        var state = TenantState.Empty.Apply(changes.Where(c => c.Kind != SourceKinds.Policy));
        problems.AddRange(state.Rejected.Select(r => new Problem("/" + r.Key, string.Join("; ", r.Value.Select(p => p.Message)))));
        if (problems.Count > 0)
            return new ImportResult(0, problems);

        var written = 0;
        foreach (var change in changes)
        {
            await store.PutAsync(tenantId, change.Kind, change.Id, change.Body!.Value, "*", cancellationToken);
            if (++written % 100 == 0)
                progress?.Report(written);
        }
        progress?.Report(written);
        return new ImportResult(written, []);
    }

    public async Task<JsonObject> ExportAsync(string tenantId, CancellationToken cancellationToken)
    {
        var file = new JsonObject { ["format"] = TenantFile.Format, ["tenant"] = tenantId };
        foreach (var (section, kind) in TenantFile.Sections)
        {
            var items = new JsonArray();
            await foreach (var document in store.ListAllAsync(tenantId, kind, 500, cancellationToken))
                items.Add(JsonNode.Parse(document.Body.GetRawText()));
            file[section] = items;
        }
        return file;
    }
}
