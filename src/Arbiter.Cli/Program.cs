using System.CommandLine;
using System.Text.Json;
using Arbiter.Api;
using Arbiter.Api.Admin;
using Arbiter.Graph.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// arbiter: operator commands against the store the services use (same settings: appsettings.json, environment
// variables such as Store__Kind / Store__SqlitePath / Cosmos__AccountEndpoint, or --sqlite for a local file).
var sqlite = new Option<string?>("--sqlite") { Description = "Use the embedded store at this SQLite file (overrides Store:* settings)" };
var tenant = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
var file = new Option<FileInfo>("--file") { Description = "Tenant file (arbiter-tenant/1 JSON)", Required = true };
var output = new Option<FileInfo?>("--out") { Description = "Where to write the export (default: standard output)" };

var import = new Command("import", "Import a tenant file (policies + directory); nothing is written if any item is invalid") { tenant, file, sqlite };
import.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite));
    using var document = JsonDocument.Parse(await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, ct));
    var total = document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array).Sum(p => p.Value.GetArrayLength());
    var progress = new Progress<int>(n => Console.Error.Write($"\rimported {n}/{total} documents"));
    var result = await host.Services.GetRequiredService<TenantTransfer>().ImportAsync(parse.GetValue(tenant)!, document.RootElement, progress, ct);
    Console.Error.WriteLine();
    foreach (var problem in result.Problems)
        Console.Error.WriteLine($"{problem.Path}: {problem.Message}");
    Console.WriteLine(result.Succeeded ? $"imported {result.Written} documents into tenant '{parse.GetValue(tenant)}'" : $"nothing imported: {result.Problems.Count} problem(s)");
    return result.Succeeded ? 0 : 1;
});

var export = new Command("export", "Export a tenant (policies + directory) as a tenant file") { tenant, output, sqlite };
export.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite));
    var json = (await host.Services.GetRequiredService<TenantTransfer>().ExportAsync(parse.GetValue(tenant)!, ct)).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    if (parse.GetValue(output) is { } target)
        await File.WriteAllTextAsync(target.FullName, json, ct);
    else
        Console.WriteLine(json);
    return 0;
});

var syncRun = new Command("run", "Sync users, groups and agent identities from Microsoft Graph now, showing progress") { tenant, sqlite };
syncRun.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite), withSync: true);
    var progress = new SyncProgressPrinter();
    var result = await host.Services.GetRequiredService<EntraSyncService>().SyncTenantAsync(parse.GetValue(tenant)!, progress, ct);
    Console.WriteLine($"{result.Outcome} in {result.Duration.TotalSeconds:F1}s: " +
        string.Join(", ", result.Counts.Select(c => $"{c.Key} {c.Value.Upserted} upserted / {c.Value.Deleted} deleted / {c.Value.Disabled} disabled")));
    foreach (var error in result.Errors)
        Console.Error.WriteLine($"{error.Resource}: {error.Message}");
    return result.Succeeded ? 0 : 1;
});

var root = new RootCommand("Arbiter operator CLI")
{
    new Command("tenant", "Tenant import and export") { import, export },
    new Command("sync", "Entra ID sync") { syncRun },
};
return await root.Parse(args).InvokeAsync();

static IHost BuildHost(string? sqlite, bool withSync = false)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    var overrides = new Dictionary<string, string?> { ["Auth:Mode"] = "Development" }; // the CLI serves no HTTP
    if (sqlite is not null)
    {
        overrides["Store:Kind"] = "Sqlite";
        overrides["Store:SqlitePath"] = Path.GetFullPath(sqlite);
    }
    builder.Configuration.AddInMemoryCollection(overrides);
    builder.AddArbiterDecisions();
    if (withSync)
        builder.AddArbiterSync();
    return builder.Build();
}

internal sealed class SyncProgressPrinter : IProgress<SyncProgress>
{
    public void Report(SyncProgress value) =>
        Console.Error.WriteLine($"{value.TenantId} {value.Resource,-7} {value.Phase,-9} pages {value.Pages,5} items {value.Items,8}");
}
