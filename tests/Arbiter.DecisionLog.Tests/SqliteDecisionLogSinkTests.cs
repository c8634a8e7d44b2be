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
