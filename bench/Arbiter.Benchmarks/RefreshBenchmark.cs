using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Scenario;
using Arbiter.Store;
using Arbiter.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.Benchmarks;

/// <summary>
/// How fast a committed change reaches decisions on the embedded store. (1) commit → visible: this process writes an
/// agent's <c>suspended</c> flag straight into the server's SQLite file (a second writer, as another instance or the
/// CLI would be) and polls the evaluation endpoint until the decision flips. (2) the kill switch through the admin API:
/// after <c>POST /manage/v1/agents/{id}/suspend</c> returns, is the very next decision a deny?
/// </summary>
internal static class RefreshBenchmark
{
    private const string Tenant = "bench";

    public static async Task<int> RunAsync(BenchOptions options)
    {
        Machine.Print();
        var scenario = ScenarioFile.Load(options.ScenarioPath());
        // A principal-context permit: suspending its agent must turn it into a deny, resuming back into a permit.
        var probe = scenario.Requests.First(r => r.Expected && r.Request.AgentId is not null).Request;
        var agentId = probe.AgentId!;
        var probeBody = ScenarioTenant.EvaluationBody(probe);
        Console.WriteLine($"probe: {ScenarioTenant.Describe(probe)} (permit; denied while agent {agentId} is suspended)");

        var dir = Directory.CreateTempSubdirectory("arbiter-bench-refresh-");
        var tenantFile = Path.Combine(dir.FullName, "tenant.json");
        var database = Path.Combine(dir.FullName, "arbiter.db");
        ScenarioTenant.WriteTenantFile(scenario, tenantFile);
        ServerProcess? server = null;
        try
        {
            server = await ServerProcess.StartAsync(options.Server, Tenant, tenantFile, database, options.RefreshInterval);
            Console.WriteLine($"server: pid {server.ProcessId}, Snapshot:RefreshInterval {options.RefreshInterval.TotalMilliseconds:F0} ms, {scenario.Changes.Count:N0} documents");
            using var client = LoadRunner.CreateClient(server.BaseAddress, 1);
            using var store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = database }), TimeProvider.System, NullLogger<SqliteDocumentStore>.Instance);

            if (!await DecideAsync(client, probeBody))
                throw new InvalidOperationException("the probe is not a permit before any change");

            var visible = await CommitToVisibleAsync(client, store, agentId, probeBody, options.Changes);
            Console.WriteLine($"commit -> visible over {visible.Count} store writes: min {visible.Min:F1} ms, p50 {visible.At(0.5):F1} ms, p99 {visible.At(0.99):F1} ms, max {visible.Max:F1} ms (target < 1000 ms: {(visible.Max < 1000 ? "met" : "NOT met")})");

            var (denied, resumedPermits, calls) = await KillSwitchAsync(client, agentId, probeBody, options.Changes);
            Console.WriteLine($"kill switch via admin API: next decision after suspend returned was a deny {denied}/{options.Changes} times ({100.0 * denied / options.Changes:F0}%); after resume a permit {resumedPermits}/{options.Changes}; suspend call p50 {calls.At(0.5):F1} ms, p99 {calls.At(0.99):F1} ms");
            Console.WriteLine($"load now {Machine.Load()}");
            return visible.Max < 1000 && denied == options.Changes ? 0 : 1;
        }
        catch when (server is not null)
        {
            Console.Error.WriteLine("server output:" + Environment.NewLine + server.RecentOutput());
            throw;
        }
        finally
        {
            if (server is not null)
                await server.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Suspend/resume by direct store writes; for each, milliseconds from the commit returning to the first flipped decision.</summary>
    private static async Task<Percentiles> CommitToVisibleAsync(HttpClient client, SqliteDocumentStore store, string agentId, byte[] probeBody, int changes)
    {
        var random = new Random(7);
        var samples = new List<double>(changes);
        for (var i = 0; i < changes; i++)
        {
            var suspend = i % 2 == 0;
            // Random phase against the server's refresh timer, so the sample spans the whole interval.
            await Task.Delay(random.Next(0, 120));
            var current = await store.GetAsync(Tenant, DocumentKinds.Agent, agentId) ?? throw new InvalidOperationException($"agent {agentId} is not in the store");
            var body = JsonNode.Parse(current.Body.GetRawText())!.AsObject();
            body["suspended"] = suspend;
            await store.PutAsync(Tenant, DocumentKinds.Agent, agentId, JsonSerializer.SerializeToElement(body), current.ETag);
            var committed = Stopwatch.GetTimestamp();
            var deadline = TimeSpan.FromSeconds(10);
            while (await DecideAsync(client, probeBody) == suspend)
            {
                // A short pause between polls: a tight loop would steal the CPU the refresher needs (2 shared cores).
                await Task.Delay(1);
                if (Stopwatch.GetElapsedTime(committed) > deadline)
                    throw new TimeoutException($"change {i} (suspended={suspend}) not visible after {deadline.TotalSeconds} s");
            }
            samples.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
        }
        if (changes % 2 == 1)
            await SetSuspendedAsync(store, agentId, false);
        return new Percentiles(samples);
    }

    /// <summary>Suspend through the admin API, then one evaluation at once; resume, then one evaluation at once.</summary>
    private static async Task<(int Denied, int Permitted, Percentiles Calls)> KillSwitchAsync(HttpClient client, string agentId, byte[] probeBody, int times)
    {
        // Let the refresher catch up with the last direct write before the admin calls start.
        while (!await DecideAsync(client, probeBody))
            await Task.Delay(10);
        var denied = 0;
        var permitted = 0;
        var calls = new List<double>(times);
        for (var i = 0; i < times; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await HttpBenchmark.PostAsync(client, $"manage/v1/agents/{agentId}/suspend", [], CancellationToken.None);
            calls.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (!await DecideAsync(client, probeBody))
                denied++;
            await HttpBenchmark.PostAsync(client, $"manage/v1/agents/{agentId}/resume", [], CancellationToken.None);
            if (await DecideAsync(client, probeBody))
                permitted++;
        }
        return (denied, permitted, new Percentiles(calls));
    }

    private static async Task SetSuspendedAsync(SqliteDocumentStore store, string agentId, bool suspended)
    {
        var current = await store.GetAsync(Tenant, DocumentKinds.Agent, agentId) ?? throw new InvalidOperationException($"agent {agentId} is not in the store");
        var body = JsonNode.Parse(current.Body.GetRawText())!.AsObject();
        body["suspended"] = suspended;
        await store.PutAsync(Tenant, DocumentKinds.Agent, agentId, JsonSerializer.SerializeToElement(body), current.ETag);
    }

    private static async Task<bool> DecideAsync(HttpClient client, byte[] probeBody) =>
        ScenarioTenant.Decision(await HttpBenchmark.PostAsync(client, "access/v1/evaluation", probeBody, CancellationToken.None));
}
