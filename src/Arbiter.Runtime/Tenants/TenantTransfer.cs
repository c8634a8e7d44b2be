using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Runtime.Directory;
using Arbiter.Store;

namespace Arbiter.Runtime.Tenants;

public sealed record ImportResult(int Written, IReadOnlyList<Problem> Problems)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// Import and export of a whole tenant (policies + directory) in the tenant file format
/// (<see cref="TenantFile"/>). An import is checked first — every invalid policy or item (against its kind's schema, see
/// <see cref="DirectorySchemas"/>, and as the snapshot reads it) is listed and nothing is
/// written — then upserted in batches of 500 documents (idempotent: importing twice changes nothing).
/// </summary>
public sealed class TenantTransfer(IDocumentStore store)
{
    // Documents per store batch: one SQLite transaction, or one bounded Cosmos fan-out, per chunk.
    private const int ImportChunk = 500;

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
        var sections = TenantFile.Sections.ToDictionary(s => s.Kind, s => s.Section, StringComparer.Ordinal);
        foreach (var change in changes.Where(c => c.Kind != SourceKinds.Policy))
        {
            foreach (var p in DirectorySchemas.Validate(change.Kind, change.Body!.Value))
                problems.Add(new Problem($"/{sections.GetValueOrDefault(change.Kind, change.Kind)}[id={change.Id}]{p.Path}", p.Message));
        }
        var state = TenantState.Empty.Apply(changes.Where(c => c.Kind != SourceKinds.Policy));
        problems.AddRange(state.Rejected.Select(r => new Problem("/" + r.Key, string.Join("; ", r.Value.Select(p => p.Message)))));
        if (problems.Count > 0)
            return new ImportResult(0, problems);

        var written = 0;
        foreach (var chunk in changes.Chunk(ImportChunk))
        {
            var writes = chunk.Select(c => DocumentWrite.Put(c.Kind, c.Id, c.Body!.Value, "*")).ToList();
            var results = await store.WriteManyAsync(tenantId, writes, cancellationToken);
            // Unconditional upserts are never refused; if a store ever does, the import stops loudly at that document.
            if (results.FirstOrDefault(r => !r.Succeeded) is { } refused)
                throw refused.ToException()!;
            written += writes.Count;
            progress?.Report(written);
        }
        if (written == 0)
            progress?.Report(0);
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
        // The tenant's one settings document is an object of its own, not a list.
        await foreach (var document in store.ListAllAsync(tenantId, SourceKinds.Settings, 10, cancellationToken))
        {
            if (document.Id == Engine.Directory.TenantSettings.DocumentId)
                file["settings"] = JsonNode.Parse(document.Body.GetRawText());
        }
        return file;
    }
}
