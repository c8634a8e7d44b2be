using Arbiter.Engine.Decisions;
using Arbiter.Store.Sqlite;
using Arbiter.Store.Sqlite.DecisionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.DecisionLog.Tests;

public sealed class SqliteDecisionLogSinkTests : DecisionLogSinkContract, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteDecisionLogSink _sink;

    public SqliteDecisionLogSinkTests()
    {
        _sink = NewSink(":memory:" + Guid.NewGuid().ToString("N"), _time);
    }

    protected override IDecisionLogSink Sink => _sink;

    public void Dispose() => _sink.Dispose();

    private static SqliteDecisionLogSink NewSink(string path, TimeProvider time, int retentionDays = 90) => new(
        Options.Create(new SqliteStoreOptions { SqlitePath = path }),
        Options.Create(new DecisionLogOptions { RetentionDays = retentionDays }),
        time,
        NullLogger<SqliteDecisionLogSink>.Instance);

    [Fact]
    public async Task PruneAsync_RecordsPastRetention_DeletedOthersKept()
    {
        using var sink = NewSink(":memory:" + Guid.NewGuid().ToString("N"), _time, retentionDays: 30);
        var start = _time.GetUtcNow();
        var old = Records.Make(time: start);
        var recent = Records.Make(time: start.AddDays(20));
        await sink.WriteBatchAsync([old, recent], CancellationToken.None);

        _time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await sink.PruneAsync(CancellationToken.None));

        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await sink.PruneAsync(CancellationToken.None));
        Assert.Equal((1, 1), await sink.CountAsync(CancellationToken.None)); // the pruned record's id went with it

        var left = await sink.QueryAsync("t1", new DecisionLogQuery { From = start, To = start.AddDays(31) }, null, 10, CancellationToken.None);
        Assert.Equal(recent.Id, Assert.Single(left.Items).Id);
    }

    [Fact]
    public async Task RetentionService_PruneInterval_PrunesOnEachTick()
    {
        var path = ":memory:" + Guid.NewGuid().ToString("N");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:SqlitePath"] = path,
            ["DecisionLog:RetentionDays"] = "1",
            ["DecisionLog:PruneInterval"] = "01:00:00",
            ["DecisionLog:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "arbiter-dl-" + Guid.NewGuid().ToString("N")[..8]),
        }).Build();
        var pruned = new PruneEvents();
        await using var provider = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(pruned))
            .AddSingleton<TimeProvider>(_time)
            .AddSqliteDecisionLogSink(configuration)
            .BuildServiceProvider();
        var sink = provider.GetRequiredService<SqliteDecisionLogSink>();
        var retention = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<DecisionLogRetentionService>().Single();
        await sink.WriteBatchAsync([Records.Make(time: _time.GetUtcNow())], CancellationToken.None);
        var query = new DecisionLogQuery { From = _time.GetUtcNow(), To = _time.GetUtcNow().AddDays(3) };

        // The first run at start (nothing expired yet), then one per tick of the fake clock.
        await retention.StartAsync(CancellationToken.None);
        await pruned.WhenRuns(1);
        Assert.Single((await sink.QueryAsync("t1", query, null, 10, CancellationToken.None)).Items);
        _time.Advance(TimeSpan.FromHours(25));
        await pruned.WhenRuns(2);
        Assert.Empty((await sink.QueryAsync("t1", query, null, 10, CancellationToken.None)).Items);
        await retention.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AddSqliteDecisionLogSink_Registered_LoggerQueryAndSinkResolve()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:SqlitePath"] = ":memory:" + Guid.NewGuid().ToString("N"),
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddSqliteDecisionLogSink(configuration).BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<DecisionLogger>());
        Assert.IsType<SqliteDecisionLogSink>(provider.GetRequiredService<IDecisionLogSink>());
        Assert.NotNull(provider.GetRequiredService<IDecisionLogQuery>());
        Assert.Equal(2, provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Count());
    }

    /// <summary>The table the sink wrote before groups (one row per record, commit c6b966a): this shape is frozen here on purpose.</summary>
    private const string OldSchema = """
        CREATE TABLE decision_log (
            tenant TEXT NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL, subject_type TEXT NOT NULL, subject_id TEXT NOT NULL,
            agent_id TEXT, action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, allowed INTEGER NOT NULL,
            body TEXT NOT NULL, UNIQUE (tenant, id));
        CREATE INDEX decision_log_by_time ON decision_log (tenant, time, id);
        """;

    private static async Task WriteOldRowsAsync(string path, IEnumerable<DecisionRecord> records)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = OldSchema;
            await create.ExecuteNonQueryAsync();
        }

        foreach (var r in records)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO decision_log (tenant, id, time, subject_type, subject_id, agent_id, action, resource_type, resource_id, allowed, body)
                VALUES ($tenant, $id, $time, $subjectType, $subjectId, $agentId, $action, $resourceType, $resourceId, $allowed, $body)
                """;
            insert.Parameters.AddWithValue("$tenant", r.TenantId);
            insert.Parameters.AddWithValue("$id", r.Id);
            insert.Parameters.AddWithValue("$time", r.Time.UtcTicks);
            insert.Parameters.AddWithValue("$subjectType", r.SubjectType);
            insert.Parameters.AddWithValue("$subjectId", r.SubjectId);
            insert.Parameters.AddWithValue("$agentId", (object?)r.AgentId ?? DBNull.Value);
            insert.Parameters.AddWithValue("$action", r.Action);
            insert.Parameters.AddWithValue("$resourceType", r.ResourceType);
            insert.Parameters.AddWithValue("$resourceId", r.ResourceId);
            insert.Parameters.AddWithValue("$allowed", r.Allowed ? 1 : 0);
            insert.Parameters.AddWithValue("$body", System.Text.Json.JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord));
            await insert.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Query_RowsOfTheEarlierLayout_ReadBesideGroupsAndPruned()
    {
        var work = Path.Combine(Path.GetTempPath(), "arbiter-dl-old-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var path = Path.Combine(work, "arbiter.db");
            var start = _time.GetUtcNow();
            var old = Enumerable.Range(0, 10).Select(i => Records.Make("t1", start.AddHours(i), agent: i % 2 == 0 ? "recon-agent" : "hr-assistant", allowed: i % 3 != 0)).ToList();
            var grouped = Enumerable.Range(0, 10).Select(i => Records.Make("t1", start.AddHours(i).AddMinutes(30), agent: i % 2 == 0 ? "recon-agent" : "hr-assistant", allowed: i % 3 != 0)).ToList();
            await WriteOldRowsAsync(path, old);
            using var sink = NewSink(path, _time, retentionDays: 30);
            await sink.WriteBatchAsync(grouped, CancellationToken.None);
            var reader = new DecisionLogReader(sink);
            var day = new DecisionLogQuery { From = start, To = start.AddDays(1) };
            async Task<List<string>> Ids(DecisionLogQuery q)
            {
                var ids = new List<string>();
                string? continuation = null;
                do
                {
                    var page = await reader.QueryAsync("t1", q, continuation, 3);
                    ids.AddRange(page.Items.Select(r => r.Id));
                    continuation = page.Continuation;
                }
                while (continuation is not null);
                return ids;
            }

            var both = old.Concat(grouped).OrderByDescending(r => r.Time).ToList();
            Assert.Equal(both.Select(r => r.Id), await Ids(day));
            Assert.Equal(both.Where(r => r.AgentId == "recon-agent" && !r.Allowed).Select(r => r.Id), await Ids(day with { AgentId = "recon-agent", Allowed = false }));
            Assert.Equal([old[4].Id], await Ids(day with { DecisionId = old[4].Id }));
            Assert.Equal((20L, 20L), await sink.CountAsync(CancellationToken.None));

            // Past the retention, the earlier rows go with the groups.
            _time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromHours(5));
            Assert.Equal(10, await sink.PruneAsync(CancellationToken.None));
            Assert.Equal(both.Where(r => r.Time >= start.AddHours(5)).Select(r => r.Id), await Ids(day));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task WriteBatch_GroupsOfAThousand_OneRowPerGroupAndIdsOnce()
    {
        using var sink = NewSink(":memory:" + Guid.NewGuid().ToString("N"), _time);
        var start = _time.GetUtcNow();
        var records = Enumerable.Range(0, 2500).Select(i => Records.Make(i % 2 == 0 ? "t1" : "t2", start.AddMilliseconds(i))).ToList();

        await sink.WriteBatchAsync(records, CancellationToken.None);
        await sink.WriteBatchAsync(records[1000..1600], CancellationToken.None);

        Assert.Equal((2500L, 2500L), await sink.CountAsync(CancellationToken.None));
        Assert.Equal(4, await sink.GroupCountAsync(CancellationToken.None)); // t1: 1000 + 250, t2: 1000 + 250; the retry adds none
    }

    [Fact]
    public async Task WriteBatch_IdsThatJsonMustEscape_ClaimedOnceAndFoundById()
    {
        // The ids are claimed as one JSON array: the engine's hex ids are written into it as they are, any other id
        // (a caller's own, an imported one) escaped — a quote, a backslash, a control character or a non-ASCII letter
        // must neither break the array nor be claimed under another id.
        using var sink = NewSink(":memory:" + Guid.NewGuid().ToString("N"), _time);
        var start = _time.GetUtcNow();
        string[] ids = ["0123456789abcdef0123456789abcdef", "with\"quote", "back\\slash", "tab\tand\u0001", "ünïcødé", "plain-id_1.2:3", "<script>"];
        var records = ids.Select((id, i) => Records.Make("t1", start.AddMilliseconds(i), id: id)).ToList();

        await sink.WriteBatchAsync(records, CancellationToken.None);
        await sink.WriteBatchAsync(records, CancellationToken.None);

        Assert.Equal((ids.Length, (long)ids.Length), await sink.CountAsync(CancellationToken.None));
        foreach (var id in ids)
        {
            var page = await sink.QueryAsync("t1", new DecisionLogQuery { From = start.AddDays(-1), To = start.AddDays(1), DecisionId = id }, null, 10, CancellationToken.None);
            Assert.Equal(id, Assert.Single(page.Items).Id);
        }
    }

    [Fact]
    public async Task WriteBatch_IdsHeldAsParts_ClaimedOnceAndFoundByTheirText()
    {
        // Records made from the engine's decisions hold their ids as parts, written into the claim and the group without
        // their text; beside ids given as text, each is claimed once and found by the text a caller has.
        using var sink = NewSink(":memory:" + Guid.NewGuid().ToString("N"), _time);
        var start = _time.GetUtcNow();
        var records = Enumerable.Range(0, 40).Select(i => i % 5 == 0
            ? Records.Make("t1", start.AddMilliseconds(i), id: "text-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : Records.Make("t1", start.AddMilliseconds(i)) with { IdParts = new DecisionIdParts(0x019A_0000_0000 + (ulong)i, 0xABCD0123, 7_000 + (ulong)i) }).ToList();

        await sink.WriteBatchAsync(records, CancellationToken.None);
        await sink.WriteBatchAsync(records, CancellationToken.None);

        Assert.Equal((records.Count, (long)records.Count), await sink.CountAsync(CancellationToken.None));
        foreach (var id in records.Select(r => r.Id))
        {
            var page = await sink.QueryAsync("t1", new DecisionLogQuery { From = start.AddDays(-1), To = start.AddDays(1), DecisionId = id }, null, 10, CancellationToken.None);
            Assert.Equal(id, Assert.Single(page.Items).Id);
        }
    }

    /// <summary>Counts the retention service's runs from its log events, so the test waits on them instead of polling.</summary>
    private sealed class PruneEvents : ILoggerProvider, ILogger
    {
        private readonly Lock _lock = new();
        private readonly List<(int Runs, TaskCompletionSource Done)> _waiters = [];
        private int _runs;

        public Task WhenRuns(int runs)
        {
            lock (_lock)
            {
                if (_runs >= runs)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((runs, done));
                return done.Task;
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != DecisionLogRetentionService.PrunedEventId)
            {
                return;
            }

            List<TaskCompletionSource> ready = [];
            lock (_lock)
            {
                _runs++;
                _waiters.RemoveAll(w =>
                {
                    if (w.Runs > _runs)
                    {
                        return false;
                    }

                    ready.Add(w.Done);
                    return true;
                });
            }

            ready.ForEach(done => done.TrySetResult());
        }

        public void Dispose()
        {
        }
    }
}
