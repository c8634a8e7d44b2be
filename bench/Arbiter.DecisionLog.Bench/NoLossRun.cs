using System.Diagnostics;
using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;
using Arbiter.Store.Sqlite;
using Arbiter.Store.Sqlite.DecisionLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// The no-loss check: evaluate <c>count</c> requests against the demo tenant in-process, log every decision, write them
/// through a sink that is slow (a delay per batch) and fails at random (some failures after the write went through, like
/// a lost acknowledgement), over SQLite; then count what is stored. Passes when every decision is stored exactly once
/// or counted as lost with a reason, and nothing is left on disk. Shared by the console mode and the xunit test.
/// </summary>
public static class NoLossRun
{
    public sealed record Settings(int Count, string WorkDirectory, TimeSpan BatchDelay, double FailureRate, int Capacity = 50_000, int BatchSize = 1_000, int Seed = 7, int Concurrency = 1,
        DecisionLogDurability Durability = DecisionLogDurability.Journal);

    public sealed record Result(
        int Logged, long Rows, long DistinctIds, DecisionLogStats Stats, int FailedWrites, TimeSpan Elapsed, TimeSpan ProduceTime,
        long PeakWorkingSet, bool SpillEmpty, int Permits)
    {
        public bool Passed => Rows == DistinctIds && Rows + Stats.LostTotal == Logged && SpillEmpty;

        public double RecordsPerSecond => Logged / Elapsed.TotalSeconds;
    }

    public static async Task<Result> RunAsync(Settings settings, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        loggers ??= NullLoggerFactory.Instance;
        var snapshot = DemoSnapshot();
        var requests = Requests(snapshot);
        Directory.CreateDirectory(settings.WorkDirectory);
        var options = Options.Create(new DecisionLogOptions
        {
            Capacity = settings.Capacity,
            BatchSize = settings.BatchSize,
            FlushInterval = TimeSpan.FromMilliseconds(200),
            SpillDirectory = Path.Combine(settings.WorkDirectory, "spill"),
            MaxAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            SpillDrainInterval = TimeSpan.FromMilliseconds(100),
            ShutdownTimeout = TimeSpan.FromMinutes(10),
            Durability = settings.Durability,
        });
        var store = Options.Create(new SqliteStoreOptions { SqlitePath = Path.Combine(settings.WorkDirectory, "arbiter.db") });
        using var sqlite = new SqliteDecisionLogSink(store, options, TimeProvider.System, loggers.CreateLogger<SqliteDecisionLogSink>());
        var chaos = new ChaosSink(sqlite, settings.BatchDelay, settings.FailureRate, settings.Seed);
        using var logger = new DecisionLogger(options, loggers.CreateLogger<DecisionLogger>());
        using var flusher = new DecisionLogFlusher(logger, chaos, TimeProvider.System, loggers.CreateLogger<DecisionLogFlusher>());

        var total = Stopwatch.StartNew();
        await flusher.StartAsync(cancellationToken);
        var permits = 0;
        var logged = 0;
        var next = -1;
        // Concurrency producers, like requests in flight on a server: each evaluates, logs, and takes the next request.
        async Task ProduceAsync()
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < settings.Count)
            {
                var request = requests[i % requests.Length];
                var started = Stopwatch.GetTimestamp();
                var decision = snapshot.Evaluate(request);
                var latency = Stopwatch.GetElapsedTime(started);
                if (decision.Allowed)
                {
                    Interlocked.Increment(ref permits);
                }

                // Journal: completes once the record is fsync'd (what a request waits for before its answer leaves).
                await logger.LogAsync(DecisionRecord.From("demo", "req-" + i, request, decision, latency, DateTimeOffset.UtcNow), cancellationToken);
                Interlocked.Increment(ref logged);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => ProduceAsync()));

        var produce = total.Elapsed;
        await flusher.StopAsync(cancellationToken);
        total.Stop();
        var (rows, distinct) = await sqlite.CountAsync(cancellationToken);
        // Spill and journal: nothing may be left once everything is stored.
        var spillEmpty = !Directory.Exists(options.Value.SpillDirectory) || Directory.GetFiles(options.Value.SpillDirectory).Length == 0;
        using var process = Process.GetCurrentProcess();
        return new Result(logged, rows, distinct, logger.GetStats(), chaos.Failures, total.Elapsed, produce, process.PeakWorkingSet64, spillEmpty, permits);
    }

    /// <summary>The demo tenant (infra/seed/demo-tenant.json), compiled.</summary>
    public static PolicySnapshot DemoSnapshot()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "seed", "demo-tenant.json")));
        var problems = new List<Problem>();
        var changes = TenantFile.Read(file.RootElement, problems);
        return PolicySnapshot.Build("demo", TenantState.Empty.Apply(changes), 1, TimeProvider.System);
    }

    /// <summary>Every user and agent against every agent, tool and data resource of the demo tenant: permits and denies of both modes.</summary>
    public static DecisionRequest[] Requests(PolicySnapshot snapshot)
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "seed", "demo-tenant.json")));
        string[] Ids(string section) => [.. file.RootElement.GetProperty(section).EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];
        var users = Ids("users");
        var agents = Ids("agents");
        var tools = Ids("tools");
        var data = Ids("dataResources");
        var list = new List<DecisionRequest>();
        foreach (var agent in agents)
        {
            foreach (var user in users)
            {
                list.Add(new DecisionRequest(new Entity("user", user), "agent.invoke", new Entity("agent", agent)));
                list.AddRange(tools.Select(t => new DecisionRequest(new Entity("user", user), "tools/call", new Entity("tool", t), agent)));
                list.AddRange(data.Select(d => new DecisionRequest(new Entity("user", user), "data.read", new Entity("dataset", d), agent)));
            }

            list.AddRange(tools.Select(t => new DecisionRequest(new Entity("agent", agent), "tools/call", new Entity("tool", t))));
        }

        GC.KeepAlive(snapshot);
        return [.. list];
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serverless.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A sink that is slow and fails at random: before the write, or after it (the acknowledgement is lost).</summary>
    public sealed class ChaosSink(IDecisionLogSink inner, TimeSpan delay, double failureRate, int seed) : IDecisionLogSink
    {
        private readonly Random _random = new(seed);
        private int _failures;

        public int Failures => _failures;

        public async Task WriteBatchAsync(IReadOnlyList<DecisionRecord> records, CancellationToken cancellationToken)
        {
            double roll;
            lock (_random)
            {
                roll = _random.NextDouble();
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }

            if (roll < failureRate / 2)
            {
                Interlocked.Increment(ref _failures);
                throw new IOException("chaos: the store is unavailable");
            }

            await inner.WriteBatchAsync(records, cancellationToken);
            if (roll < failureRate)
            {
                Interlocked.Increment(ref _failures);
                throw new TimeoutException("chaos: written, but the acknowledgement was lost");
            }
        }

        public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, DecisionLogCursor? after, int pageSize, CancellationToken cancellationToken) =>
            inner.QueryAsync(tenantId, query, after, pageSize, cancellationToken);
    }
}
