// Entra sync at scale: a full sync of 100,000 users, 10,000 groups (ten with 10,000+ members) and 1,000 agent
// identities from the Graph simulator into a SQLite store, then a delta of 100 changes. Prints time and memory.
// Usage: dotnet run -c Release --project bench/Arbiter.Graph.Scale [-- users groups agents file|memory]
using System.Diagnostics;
using Arbiter.Graph;
using Arbiter.Graph.Sync;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Simulator = Arbiter.GraphSimulator.GraphSimulator;

var userCount = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
var groupCount = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
var agentCount = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000;
var storeMode = args.Length > 3 ? args[3] : "file";
const string Tenant = "scale";

await using var simulator = await Simulator.StartAsync();
simulator.MemberSliceSize = 1000;
var random = new Random(42);
var directory = simulator.Directory;
string UserId(int i) => $"00000000-0000-0000-0000-{i:000000000000}";
for (var i = 0; i < userCount; i++)
{
    directory.AddUser(UserId(i), $"User {i}", department: $"Dept {i % 50}", jobTitle: $"Title {i % 20}");
}

var bigGroups = Math.Min(10, groupCount);
var memberships = 0L;
for (var g = 0; g < groupCount; g++)
{
    var size = g < bigGroups ? 10_000 + (g * 500) : random.Next(5, 40);
    var members = new HashSet<string>(StringComparer.Ordinal);
    while (members.Count < Math.Min(size, userCount))
    {
        members.Add(UserId(random.Next(userCount)));
    }

    if (g >= bigGroups && g % 10 == 0 && g > bigGroups)
    {
        members.Add($"group-{random.Next(bigGroups, g):00000}");
    }

    memberships += members.Count;
    directory.AddGroup($"group-{g:00000}", $"Group {g}", members);
}

for (var a = 0; a < agentCount; a++)
{
    directory.AddAgent($"agent-{a:0000}", $"Agent {a}", $"bp-{a % 10}", tags: [$"team-{a % 7}"],
        owners: [UserId(random.Next(userCount))], sponsors: [UserId(random.Next(userCount))]);
}

Console.WriteLine($"directory: {userCount:N0} users, {groupCount:N0} groups ({memberships:N0} memberships, {bigGroups} groups with 10,000+ members), {agentCount:N0} agents");

var dbPath = Path.Combine(Path.GetTempPath(), $"arbiter-graph-scale-{Guid.NewGuid():N}.db");
using var store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = storeMode == "memory" ? ":memory:scale" : dbPath }), TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);
var options = Options.Create(new GraphOptions { BaseUrl = simulator.BaseUrl, PageSize = 999, AgentPageSize = 100 });
Console.WriteLine($"store: SQLite {(storeMode == "memory" ? "in memory" : "file " + dbPath)}");
using var clients = new GraphClientRegistry(options, authenticationOverride: new DummyBearer());
var service = new EntraSyncService(store, clients, options, TimeProvider.System, NullLogger<EntraSyncService>.Instance);

GC.Collect();
var baseline = Process.GetCurrentProcess().WorkingSet64;
var phaseClock = Stopwatch.StartNew();
var progress = new PhaseTimer(phaseClock);
var full = await Measure("full sync", () => service.SyncTenantAsync(Tenant, progress));

// 100 changes: 40 membership changes, 20 user updates, 10 disabled users, 5 removed users, 5 deleted groups,
// 5 renamed groups, 5 new agents, 5 disabled agents, 3 removed agents, 2 sponsor changes.
for (var i = 0; i < 20; i++)
{
    directory.AddMember($"group-{bigGroups + i:00000}", UserId(random.Next(userCount)));
    var group = $"group-{bigGroups + 100 + i:00000}";
    directory.RemoveMember(group, directory.MembersOf(group)[0]);
}

for (var i = 0; i < 20; i++)
{
    directory.UpdateUser(UserId(1000 + i), department: "Reorganised");
}

for (var i = 0; i < 10; i++)
{
    directory.DisableUser(UserId(2000 + i));
}

for (var i = 0; i < 5; i++)
{
    directory.RemoveUser(UserId(3000 + i));
    directory.DeleteGroup($"group-{groupCount - 1 - i:00000}");
    directory.RenameGroup($"group-{bigGroups + 200 + i:00000}", $"Renamed {i}");
    directory.AddAgent($"agent-new-{i}", $"New agent {i}", "bp-new", owners: [UserId(i)], sponsors: [UserId(i + 1)]);
    directory.DisableAgent($"agent-{i:0000}");
}

for (var i = 0; i < 3; i++)
{
    directory.RemoveAgent($"agent-{10 + i:0000}");
}

directory.SetSponsors("agent-0020", UserId(7));
directory.SetSponsors("agent-0021", UserId(8));

phaseClock.Restart();
var delta = await Measure("delta sync (100 changes)", () => service.SyncTenantAsync(Tenant, progress));
var peak = Process.GetCurrentProcess().PeakWorkingSet64;
Console.WriteLine($"peak working set: {peak / 1024 / 1024:N0} MiB (process incl. the in-process simulator and its directory; before sync {baseline / 1024 / 1024:N0} MiB)");
Console.WriteLine($"targets: full <= 60 s: {(full.Duration.TotalSeconds <= 60 ? "met" : "MISSED")}; delta <= 2 s: {(delta.Duration.TotalSeconds <= 2 ? "met" : "MISSED")}");
foreach (var suffix in new[] { "", "-wal", "-shm" })
{
    if (File.Exists(dbPath + suffix))
    {
        File.Delete(dbPath + suffix);
    }
}

return full.Succeeded && delta.Succeeded ? 0 : 1;

static async Task<SyncResult> Measure(string name, Func<Task<SyncResult>> run)
{
    var result = await run();
    Console.WriteLine($"{name}: {result.Outcome} in {result.Duration.TotalSeconds:N2} s, managed heap now {GC.GetTotalMemory(false) / 1024 / 1024:N0} MiB");
    foreach (var (resource, c) in result.Counts)
    {
        Console.WriteLine($"  {resource,-7} mode={c.Mode,-6} pages={c.Pages,5} written={c.Upserted,7} unchanged={c.Unchanged,7} deleted={c.Deleted,4} disabled={c.Disabled,4}");
    }

    foreach (var error in result.Errors)
    {
        Console.WriteLine($"  error {error.Resource}: {error.Message}");
    }

    return result;
}

internal sealed class DummyBearer : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        request.Headers.Add("Authorization", "Bearer scale-token");
        return Task.CompletedTask;
    }
}

/// <summary>Prints when each resource starts, sweeps and completes.</summary>
internal sealed class PhaseTimer(Stopwatch clock) : IProgress<SyncProgress>
{
    public void Report(SyncProgress value)
    {
        if (value.Phase is "started" or "sweep" or "completed" or "failed")
        {
            Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,7:N2} s] {value.Resource} {value.Phase} ({value.Pages} pages, {value.Items} entries)");
        }
    }
}
