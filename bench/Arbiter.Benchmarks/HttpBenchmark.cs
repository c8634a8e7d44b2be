using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Arbiter.Scenario;

namespace Arbiter.Benchmarks;

/// <summary>
/// The decision API over loopback HTTP against the real self-hosted server seeded with the scenario: GET /health as
/// the ceiling (the server has no empty endpoint; /health is the cheapest route it serves), single evaluations, and
/// batches of 100. Correctness first: HTTP answers must equal the scenario's expected decisions.
/// </summary>
internal static class HttpBenchmark
{
    private const string Tenant = "bench";
    private const int BatchSize = 100;
    private const int SingleSample = 2000;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        Machine.Print();
        var scenario = ScenarioFile.Load(options.ScenarioPath());
        var requests = scenario.Requests;
        var dir = Directory.CreateTempSubdirectory("arbiter-bench-http-");
        var tenantFile = Path.Combine(dir.FullName, "tenant.json");
        ScenarioTenant.WriteTenantFile(scenario, tenantFile);

        var started = Stopwatch.StartNew();
        ServerProcess server;
        try
        {
            server = await ServerProcess.StartAsync(options.Server, Tenant, tenantFile, Path.Combine(dir.FullName, "arbiter.db"), refreshInterval: null);
        }
        catch
        {
            dir.Delete(recursive: true);
            throw;
        }
        Console.WriteLine($"server: pid {server.ProcessId} at {server.BaseAddress}, seeded with {scenario.Changes.Count:N0} documents and healthy in {started.Elapsed.TotalSeconds:F1} s, RSS {Machine.ResidentMegabytes(server.ProcessId):F0} MB");
        try
        {
            using var client = LoadRunner.CreateClient(server.BaseAddress, options.Connections);
            var singles = requests.Select(r => ScenarioTenant.EvaluationBody(r.Request)).ToArray();
            var batches = requests.Chunk(BatchSize).Select(c => ScenarioTenant.BatchBody(c.Select(r => r.Request))).ToArray();

            if (!await CheckAsync(client, requests, singles, batches))
                return 1;

            var warmup = TimeSpan.FromSeconds(Math.Max(1, options.Seconds / 3.0));
            var measured = TimeSpan.FromSeconds(options.Seconds);
            Console.WriteLine($"load: {options.Connections} connections (HTTP/1.1 keep-alive), {warmup.TotalSeconds:F0} s warm-up + {measured.TotalSeconds:F0} s per phase; client and server share the machine");
            var phases = options.Phases;
            var log = DecisionLogWatch.For(client, Path.Combine(dir.FullName, "arbiter.db"), server.ProcessId);
            var ceiling = phases.Contains("ceiling") ? await LoadRunner.RunAsync("ceiling GET /health", client, "health", null, options.Connections, warmup, measured) : null;
            if (ceiling is not null)
                Console.WriteLine(ceiling.Line());
            LoadResult? single = null, batch = null, ceiling2 = null;
            if (phases.Contains("single"))
            {
                await log.BeforePhaseAsync();
                single = await LoadRunner.RunAsync("single evaluation", client, "access/v1/evaluation", singles, options.Connections, warmup, measured);
                Console.WriteLine(single.Line());
                Console.WriteLine(await log.AfterPhaseAsync("single evaluation"));
            }
            if (phases.Contains("batch"))
            {
                await log.BeforePhaseAsync();
                batch = await LoadRunner.RunAsync($"batch of {BatchSize}", client, "access/v1/evaluations", batches, options.Connections, warmup, measured);
                Console.WriteLine(batch.Line(BatchSize));
                Console.WriteLine(await log.AfterPhaseAsync($"batch of {BatchSize}"));
            }
            if (ceiling is not null && (single ?? batch) is not null)
            {
                ceiling2 = await LoadRunner.RunAsync("ceiling GET /health (again)", client, "health", null, options.Connections, warmup, measured);
                Console.WriteLine(ceiling2.Line());
            }

            if (ceiling is not null && ceiling2 is not null)
            {
                var reference = (ceiling.RequestsPerSecond + ceiling2.RequestsPerSecond) / 2;
                if (single is not null)
                {
                    var ratio = single.RequestsPerSecond / reference;
                    Console.WriteLine($"ratio single evaluation / ceiling: {ratio:F2} (target >= 0.8: {(ratio >= 0.8 ? "met" : "NOT met")}); p99 single / ceiling: {single.P99Ms / ((ceiling.P99Ms + ceiling2.P99Ms) / 2):F2} (target <= 2)");
                }
                if (batch is not null)
                    Console.WriteLine($"batch decisions/s vs ceiling req/s: {batch.RequestsPerSecond * BatchSize / reference:F1}x");
            }
            Console.WriteLine($"server RSS after the run: {Machine.ResidentMegabytes(server.ProcessId):F0} MB; load now {Machine.Load()}");
            return new[] { ceiling, single, batch, ceiling2 }.Sum(r => r?.Failures ?? 0) == 0 ? 0 : 1;
        }
        catch
        {
            Console.Error.WriteLine("server output:" + Environment.NewLine + server.RecentOutput());
            throw;
        }
        finally
        {
            await server.DisposeAsync();
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A sample as single evaluations, and every request through the batch endpoint, against the expected decisions.</summary>
    private static async Task<bool> CheckAsync(HttpClient client, IReadOnlyList<ScenarioRequest> requests, byte[][] singles, byte[][] batches)
    {
        var clock = Stopwatch.StartNew();
        var mismatches = new List<string>();
        var step = Math.Max(1, requests.Count / SingleSample);
        var sample = Enumerable.Range(0, requests.Count).Where(i => i % step == 0).Take(SingleSample).ToArray();
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var answer = ScenarioTenant.Decision(await PostAsync(client, "access/v1/evaluation", singles[i], ct));
            if (answer != requests[i].Expected)
                lock (mismatches) mismatches.Add($"single #{i} {ScenarioTenant.Describe(requests[i].Request)}: got {answer}, expected {requests[i].Expected}");
        });
        await Parallel.ForEachAsync(Enumerable.Range(0, batches.Length), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, ct) =>
        {
            var answers = ScenarioTenant.Decisions(await PostAsync(client, "access/v1/evaluations", batches[b], ct));
            for (var j = 0; j < answers.Length; j++)
            {
                var i = b * BatchSize + j;
                if (answers[j] != requests[i].Expected)
                    lock (mismatches) mismatches.Add($"batch item #{i} {ScenarioTenant.Describe(requests[i].Request)}: got {answers[j]}, expected {requests[i].Expected}");
            }
            if (answers.Length != Math.Min(BatchSize, requests.Count - b * BatchSize))
                lock (mismatches) mismatches.Add($"batch {b}: {answers.Length} answers");
        });
        Console.WriteLine($"correctness over HTTP: {mismatches.Count} mismatches ({sample.Length:N0} single evaluations, {requests.Count:N0} batch items) in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var m in mismatches.Take(10))
            Console.WriteLine("  " + m);
        return mismatches.Count == 0;
    }

    public static async Task<byte[]> PostAsync(HttpClient client, string path, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"POST {path} → {(int)response.StatusCode}: {ScenarioTenant.Text(bytes)}");
        return bytes;
    }
}
