using Arbiter.DecisionLog.Bench;

namespace Arbiter.DecisionLog.Tests;

public sealed class NoLossTests
{
    /// <summary>The no-loss check at 20,000 decisions (the console benchmark runs the same at 1,000,000).</summary>
    [Theory]
    [InlineData(DecisionLogDurability.Memory)]
    [InlineData(DecisionLogDurability.Journal)]
    public async Task EngineAndLogger_SlowFlakySqliteSink_EveryDecisionStoredOnceOrCountedLost(DecisionLogDurability durability)
    {
        var work = Path.Combine(Path.GetTempPath(), "arbiter-noloss-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // A small buffer so the memory run spills to disk and drains back, at a 10% failure rate; the journal run
            // keeps everything in the journal, with requests in flight as on a server.
            var result = await NoLossRun.RunAsync(new NoLossRun.Settings(20_000, work, TimeSpan.FromMilliseconds(5), 0.10, Capacity: 2_000, BatchSize: 500,
                Concurrency: durability == DecisionLogDurability.Journal ? 64 : 1, Durability: durability));

            Assert.Equal(20_000, result.Logged);
            Assert.Equal(result.Rows, result.DistinctIds);
            Assert.Equal(20_000, result.Rows + result.Stats.LostTotal);
            Assert.Equal(0, result.Stats.LostTotal);
            Assert.True(result.SpillEmpty);
            if (durability == DecisionLogDurability.Memory)
            {
                Assert.True(result.Stats.Spilled > 0, "the run should have spilled");
            }
            else
            {
                Assert.Equal(0, result.Stats.Spilled);
                Assert.True(result.Stats.JournalCommits < 20_000, "group commit: fewer fsyncs than records");
            }

            Assert.True(result.Passed);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
