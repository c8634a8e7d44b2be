using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbiter.DecisionLog.Bench;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// Fault tests of the journal on the real self-hosted server (Arbiter.Server.dll, a child process, SQLite store and
/// journal in a temp folder). kill -9: the server is killed with SIGKILL in the middle of a burst of concurrent
/// decisions — single and batch evaluations — then started again on the same folder; every decision whose answer
/// reached the client must end up in the decision log: 0 missing. A journal that cannot be written: decisions are still
/// answered and stored, and /health says degraded.
/// </summary>
public sealed class ServerFaultTests(ITestOutputHelper output) : IDisposable
{
    private const int Producers = 64;
    private const int BatchSize = 10;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-kill-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task KillDuringBurst_Restarted_EveryAcknowledgedDecisionLogged()
    {
        Directory.CreateDirectory(_directory);
        var acknowledged = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        // Three rounds: kill the server mid-burst, start it again on the same folder (it recovers the journal the kill left), again.
        foreach (var (round, killAfter) in new[] { (1, 8_000), (2, 12_000), (3, 12_000) })
        {
            await using var server = await Server.StartAsync(_directory, output);
            var before = acknowledged.Count;
            var target = before + killAfter;
            var burst = Stopwatch.StartNew(); // reported only, never asserted
            var killed = await BurstAsync(server, acknowledged, target);
            var count = acknowledged.Count - before;
            output.WriteLine($"round {round}: {count:N0} decisions acknowledged in {burst.Elapsed.TotalSeconds:F2} s ({count / burst.Elapsed.TotalSeconds:N0}/s), then kill -9 with {killed} requests in flight; {StoredIds().Count:N0} in the store at the kill");
        }

        // Started again: it recovers the journal the last kill left. A graceful stop (SIGTERM) drains everything into the
        // store before the process exits, so the store is read once, after the exit, not polled.
        await using (var final = await Server.StartAsync(_directory, output))
        {
            Assert.Equal(0, await final.StopAsync());
        }

        var stored = StoredIds();
        List<string> missing = [.. acknowledged.Keys.Where(id => !stored.Contains(id))];
        output.WriteLine($"after restart: {acknowledged.Count:N0} acknowledged, {stored.Count:N0} stored (answered or not), {missing.Count} acknowledged missing");
        Assert.Empty(missing);
    }

    [Fact]
    public async Task JournalNotWritable_DecisionAnswered_HealthDegradedAndRecordStored()
    {
        Directory.CreateDirectory(_directory);
        // The journal directory lies under a file: it can never be created (what a full or read-only disk looks like).
        var blocker = Path.Combine(_directory, "blocker");
        await File.WriteAllTextAsync(blocker, "x");
        await using var server = await Server.StartAsync(_directory, output, journal: Path.Combine(blocker, "journal"));

        using var reply = await server.Client.PostAsync("/access/v1/evaluation", Body(0, 0, batch: false));
        Assert.True(reply.IsSuccessStatusCode, $"the decision is answered: {(int)reply.StatusCode}");
        using var json = JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
        var id = Assert.Single(DecisionIds(json.RootElement));

        using var health = await server.Client.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("degraded", report.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("journal-failed", report.RootElement.GetProperty("decisionLog").GetString(), StringComparison.Ordinal);

        // Not durable, but not dropped: it reaches the store through memory (at the latest when the server stops).
        Assert.Equal(0, await server.StopAsync());
        Assert.Contains(id, StoredIds());
    }

    /// <summary>Fires decisions from <see cref="Producers"/> workers until <paramref name="target"/> are acknowledged, then kills the server.</summary>
    private static async Task<int> BurstAsync(Server server, ConcurrentDictionary<string, byte> acknowledged, int target)
    {
        using var stop = new CancellationTokenSource();
        var killing = false; // set before the kill: a request cut from then on was never acknowledged
        var inFlight = 0;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task WorkAsync(int worker)
        {
            for (var i = 0; !Volatile.Read(ref killing); i++)
            {
                var batch = worker % 2 == 0; // half the workers send batches of 10
                Interlocked.Increment(ref inFlight);
                try
                {
                    using var reply = await server.Client.PostAsync(batch ? "/access/v1/evaluations" : "/access/v1/evaluation", Body(worker, i, batch), stop.Token);
                    if (!reply.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"status {(int)reply.StatusCode}: {await reply.Content.ReadAsStringAsync(stop.Token)}");
                    }

                    using var json = JsonDocument.Parse(await reply.Content.ReadAsStreamAsync(stop.Token));
                    // The whole answer was read: these decisions are acknowledged.
                    foreach (var id in DecisionIds(json.RootElement))
                    {
                        acknowledged.TryAdd(id, 0);
                    }
                }
                catch (Exception ex) when (Volatile.Read(ref killing) && ex is HttpRequestException or OperationCanceledException or IOException or JsonException)
                {
                    return; // cut by the kill: never acknowledged
                }
                catch (HttpRequestException ex)
                {
                    throw new InvalidOperationException($"request failed before the kill; server {server.State}, output:\n{server.Output}", ex);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }

                if (acknowledged.Count >= target)
                {
                    reached.TrySetResult();
                }
            }
        }

        var workers = Enumerable.Range(0, Producers).Select(w => Task.Run(() => WorkAsync(w))).ToArray();
        await Task.WhenAny(reached.Task, Task.WhenAll(workers)).Unwrap();
        var killedInFlight = Volatile.Read(ref inFlight);
        Volatile.Write(ref killing, true);
        server.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        return killedInFlight;
    }

    private static IEnumerable<string> DecisionIds(JsonElement root)
    {
        if (root.TryGetProperty("evaluations", out var evaluations))
        {
            foreach (var evaluation in evaluations.EnumerateArray())
            {
                yield return evaluation.GetProperty("context").GetProperty("decision_id").GetString()!;
            }
        }
        else
        {
            yield return root.GetProperty("context").GetProperty("decision_id").GetString()!;
        }
    }

    private static readonly string[] Users = ["alice", "frank", "bob", "carol", "erin"];
    private static readonly string[] Agents = ["hr-assistant", "general-assistant", "recon-agent"];

    private static StringContent Body(int worker, int i, bool batch)
    {
        // The decision ids come with the explanation (answers are minimal unless asked).
        const string Explain = "\"options\":{\"explain\":true}";
        string One(int n) =>
            "{\"subject\":{\"type\":\"user\",\"id\":\"" + Users[n % Users.Length] + "\"},\"action\":{\"name\":\"agent.invoke\"},"
            + "\"resource\":{\"type\":\"agent\",\"id\":\"" + Agents[n / Users.Length % Agents.Length] + "\"}";
        var json = batch
            ? "{" + Explain + ",\"evaluations\":[" + string.Join(",", Enumerable.Range(0, BatchSize).Select(k => One(worker + i + k) + "}")) + "]}"
            : One(worker + i) + "," + Explain + "}";
        return new StringContent(json, Encoding.UTF8, "application/json");
    }

    /// <summary>
    /// The acknowledged ids not in the store, once the restarted server has drained its journal: polled on the store
    /// (bounded; the condition, not the time, ends it).
    /// </summary>
    private HashSet<string> StoredIds()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "server.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM decision_ids"; // one row per stored decision (SqliteDecisionLogSink)
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Arbiter.Server.dll as a child process on a free loopback port, Development auth, the demo tenant seeded.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private Server(Process process, HttpClient client)
        {
            _process = process;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<Server> StartAsync(string directory, ITestOutputHelper output, string? journal = null)
        {
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Arbiter.Server.dll"));
            foreach (var argument in new[]
                     {
                         "--urls", $"http://127.0.0.1:{port}",
                         "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", "demo",
                         "--Store:Kind", "Sqlite", "--Store:SqlitePath", Path.Combine(directory, "server.db"),
                         "--Seed:File", Path.Combine(NoLossRun.RepositoryRoot(), "infra", "seed", "demo-tenant.json"), "--Seed:Tenant", "demo",
                         "--Snapshot:Tenants", "demo",
                         "--DecisionLog:SpillDirectory", journal ?? Path.Combine(directory, "journal"),
                         "--DecisionLog:FlushInterval", "00:00:00.100",
                         "--DecisionLog:Durability", Environment.GetEnvironmentVariable("ARBITER_KILL_TEST_DURABILITY") ?? "Journal",
                         "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
                     })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var variable in new[] { "ASPNETCORE_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS" })
            {
                start.Environment.Remove(variable);
            }

            start.Environment["DOTNET_NOLOGO"] = "1";
            var process = new Process { StartInfo = start };
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = new Server(process, new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Producers }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
            void OnLine(object sender, DataReceivedEventArgs e)
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (server._output)
                {
                    server._output.AppendLine(e.Data);
                }

                if (e.Data.Contains("Now listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            }

            process.OutputDataReceived += OnLine;
            process.ErrorDataReceived += OnLine;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(45))) != listening.Task)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("the server did not start listening:\n" + server.Output);
            }

            output.WriteLine($"server {process.Id} listening on {port}");
            return server;
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        /// <summary>SIGKILL: no shutdown, no flush; what the kernel has (written, fsync'd) is all that survives.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        /// <summary>SIGTERM, as a host stopping the service sends it: the server drains the decision log and exits; its exit code.</summary>
        public async Task<int> StopAsync()
        {
            using (var signal = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
                ?? throw new InvalidOperationException("could not run kill"))
            {
                await signal.WaitForExitAsync();
            }

            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"the server did not stop within 120 s of SIGTERM:\n{Output}");
            }

            return _process.ExitCode;
        }

        public string State => _process.HasExited ? $"exited with {_process.ExitCode}" : "running";

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
