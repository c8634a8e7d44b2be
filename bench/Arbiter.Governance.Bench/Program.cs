using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Governance.Drift;
using Arbiter.Scenario;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// Drift recomputation after ONE change on the shared 20k-user scenario.
// Usage: dotnet run -c Release --project bench/Arbiter.Governance.Bench -- [scenario.json]
const string Tenant = "bench";
var path = args.Length > 0 ? args[0] : ScenarioFile.Default();
var scenario = ScenarioFile.Load(path);

using var store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = ":memory:governance-bench" }), TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
var load = Stopwatch.StartNew();
foreach (var change in scenario.Changes)
    await store.PutAsync(Tenant, change.Kind, change.Id, change.Body!.Value, "*");
Console.WriteLine($"scenario: {scenario.Changes.Count} documents ({scenario.PolicyCount} policies) stored in {load.Elapsed.TotalSeconds:F1} s");

var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
    // No review tasks (so no queue traffic): the figure is detection alone.
    ["Governance:ReviewSeverity"] = "Critical",
    ["Governance:Severities:disabledStillGranted"] = "High",
}).Build();
var services = new ServiceCollection()
    .AddSingleton<IDocumentStore>(store)
    .AddSingleton<IChangeFeed>(store)
    .AddLogging()
    .AddArbiterGovernance(configuration)
    .BuildServiceProvider();
var detector = services.GetRequiredService<DriftDetector>();

var full = await detector.RunAsync(Tenant, CancellationToken.None);
Console.WriteLine($"first run (every agent, registration baselines): {full.AgentsRecomputed.Count} agents in {full.Elapsed.TotalMilliseconds:F0} ms");

// One policy change: a groupUsesAgent rule gains a second group.
var invoke = (await AllAsync(DocumentKinds.Policy)).First(d => d.Body.GetProperty("actions")[0].GetString() == "agent.invoke");
var policy = JsonNode.Parse(invoke.Body.GetRawText())!.AsObject();
var groups = (await AllAsync(DocumentKinds.Group)).Select(g => g.Id).ToList();
policy["subjects"]!["groups"]!.AsArray().Add(groups.First(g => !policy["subjects"]!["groups"]!.AsArray().Any(x => x!.GetValue<string>() == g)));
await store.PutAsync(Tenant, DocumentKinds.Policy, invoke.Id, JsonSerializer.SerializeToElement(policy), invoke.ETag);
var afterPolicy = await detector.RunAsync(Tenant, CancellationToken.None);
Report("one policy change (agent.invoke rule gains a group)", afterPolicy);

// One group-membership change: a user joins a group some policy names.
var named = (await AllAsync(DocumentKinds.Policy)).SelectMany(p => p.Body.TryGetProperty("subjects", out var s) && s.TryGetProperty("groups", out var g) ? g.EnumerateArray().Select(x => x.GetString()!) : []).ToHashSet();
var group = (await AllAsync(DocumentKinds.Group)).First(g => named.Contains(g.Id) && g.Body.GetProperty("memberUsers").GetArrayLength() > 0);
var node = JsonNode.Parse(group.Body.GetRawText())!.AsObject();
var members = node["memberUsers"]!.AsArray().Select(x => x!.GetValue<string>()).ToHashSet();
node["memberUsers"]!.AsArray().Add((await AllAsync(DocumentKinds.User)).Select(u => u.Id).First(u => !members.Contains(u)));
await store.PutAsync(Tenant, DocumentKinds.Group, group.Id, JsonSerializer.SerializeToElement(node), group.ETag);
var afterGroup = await detector.RunAsync(Tenant, CancellationToken.None);
Report($"one membership change (a user joins group {group.Id})", afterGroup);

var recheck = await detector.RecheckAsync(Tenant, null, CancellationToken.None);
Console.WriteLine($"full recheck (daily timer): {recheck.AgentsRecomputed.Count} agents in {recheck.Elapsed.TotalMilliseconds:F0} ms");
return 0;

static void Report(string what, DriftRunResult r) =>
    Console.WriteLine($"{what}: {r.ChangesRead} change(s) → {r.AgentsRecomputed.Count} agent(s) recomputed, {r.FindingsOpened} finding(s) opened, in {r.Elapsed.TotalMilliseconds:F1} ms (feed read, snapshot refresh, affected set, recompute, writes)");

async Task<List<StoredDocument>> AllAsync(string kind)
{
    var result = new List<StoredDocument>();
    string? continuation = null;
    do
    {
        var page = await store.ListAsync(Tenant, kind, continuation, 1000);
        result.AddRange(page.Items);
        continuation = page.Continuation;
    }
    while (continuation is not null);
    return result;
}
