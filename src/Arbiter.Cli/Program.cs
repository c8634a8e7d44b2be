using System.CommandLine;
using System.Text.Json;
using Arbiter.Cli;
using Arbiter.Engine.Json;
using Arbiter.Governance;
using Arbiter.Runtime;
using Arbiter.Runtime.Tenants;
using Arbiter.Governance.Drift;
using Arbiter.Graph;
using Arbiter.Graph.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// arbiter: operator commands against the store the services use (same settings: appsettings.json, environment
// variables such as Store__Kind / Store__SqlitePath / Cosmos__AccountEndpoint, or --sqlite for a local file).
// The policy commands (check, eval) read files only and build no host, so they start in a fraction of a second.
var sqlite = new Option<string?>("--sqlite") { Description = "Use the embedded store at this SQLite file (overrides Store:* settings)" };
var tenant = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
var file = new Option<FileInfo>("--file") { Description = "Tenant file (arbiter-tenant/1 JSON)", Required = true };
var output = new Option<FileInfo?>("--out") { Description = "Where to write the export (default: standard output)" };

var import = new Command("import", "Import a tenant file (policies + directory); nothing is written if any item is invalid") { tenant, file, sqlite };
import.SetAction(async (parse, ct) =>
{
    JsonDocument document;
    try
    {
        document = StrictJson.Parse(await File.ReadAllBytesAsync(parse.GetValue(file)!.FullName, ct));
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
    {
        Console.Error.WriteLine($"cannot read {parse.GetValue(file)!.FullName}: {e.Message}");
        return 2;
    }
    using var _ = document;
    using var host = BuildHost(parse.GetValue(sqlite));
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

var agentFilter = new Option<string?>("--agent") { Description = "Only this agent" };
var ownerFilter = new Option<string?>("--owner") { Description = "Only agents of this owner" };
var stateFilter = new Option<string?>("--state") { Description = "Only this state (findings: open|resolved; tasks: open|approved|revoked|suspended|expired)" };

var findings = new Command("findings", "List drift findings, newest first") { tenant, agentFilter, ownerFilter, stateFilter, sqlite };
findings.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite), withGovernance: true);
    var list = await host.Services.GetRequiredService<GovernanceQueries>().ListFindingsAsync(parse.GetValue(tenant)!,
        new FindingFilter(parse.GetValue(agentFilter), parse.GetValue(ownerFilter), parse.GetValue(stateFilter)), ct);
    foreach (var f in list)
        Console.WriteLine($"{f.LastSeen:u}  {f.Severity,-8} {f.State,-8} {f.AgentId,-20} {f.Kind}: {f.Subject}");
    Console.Error.WriteLine($"{list.Count} finding(s)");
    return 0;
});

var tasks = new Command("tasks", "List review tasks, newest first") { tenant, agentFilter, ownerFilter, stateFilter, sqlite };
tasks.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite), withGovernance: true);
    var list = await host.Services.GetRequiredService<GovernanceQueries>().ListTasksAsync(parse.GetValue(tenant)!,
        new TaskFilter(parse.GetValue(agentFilter), parse.GetValue(ownerFilter), parse.GetValue(stateFilter)), ct);
    foreach (var t in list)
        Console.WriteLine($"{t.Id}  {t.State,-9} due {t.DueAt:u}  {t.AgentId,-20} reviewers {string.Join(",", t.Reviewers)}  {t.Reason}");
    Console.Error.WriteLine($"{list.Count} task(s)");
    return 0;
});

var driftRun = new Command("drift", "Run drift detection now over the changes since the last run") { tenant, sqlite };
driftRun.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(parse.GetValue(sqlite), withGovernance: true);
    var result = await host.Services.GetRequiredService<DriftDetector>().RunAsync(parse.GetValue(tenant)!, ct);
    Console.WriteLine($"{result.ChangesRead} change(s) read, {result.AgentsRecomputed.Count} agent(s) recomputed, " +
        $"{result.FindingsOpened} finding(s) opened, {result.FindingsResolved} resolved, {result.TasksOpened} review task(s) opened in {result.Elapsed.TotalMilliseconds:F0} ms");
    return 0;
});

var root = new RootCommand("Arbiter operator CLI")
{
    new Command("tenant", "Tenant import and export") { import, export },
    new Command("sync", "Entra ID sync") { syncRun },
    new Command("governance", "Drift findings and review tasks") { findings, tasks, driftRun },
};
var policy = new Command("policy", "Validate, test and try policies offline; push, pull, diff and replay them against a server") { PolicyValidate.Create(), PolicyTest.Create(), PolicyEval.Create() };
root.Subcommands.Add(policy);
RemoteCommands.AddTo(root, policy);
return await CliRunner.RunAsync(root, args);

static IHost BuildHost(string? sqlite, bool withSync = false, bool withGovernance = false)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    var overrides = new Dictionary<string, string?>();
    if (sqlite is not null)
    {
        overrides["Store:Kind"] = "Sqlite";
        overrides["Store:SqlitePath"] = Path.GetFullPath(sqlite);
    }
    builder.Configuration.AddInMemoryCollection(overrides);
    builder.AddArbiterRuntime();
    if (withSync)
        builder.Services.AddEntraSync(builder.Configuration);
    if (withGovernance)
    {
        // Listing and detection need no queue; review announcements use AzureWebJobsStorage when it is set.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = builder.Configuration["AzureWebJobsStorage"] ?? "UseDevelopmentStorage=true" });
        builder.AddArbiterGovernance();
    }
    return builder.Build();
}

internal sealed class SyncProgressPrinter : IProgress<SyncProgress>
{
    public void Report(SyncProgress value) =>
        Console.Error.WriteLine($"{value.TenantId} {value.Resource,-7} {value.Phase,-9} pages {value.Pages,5} items {value.Items,8}");
}
