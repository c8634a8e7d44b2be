using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The journal on a real full disk: a small tmpfs mounted for the test (needs root and the mount capability; skipped
/// with the reason where it cannot mount). Filled up, the journal cannot be written: the decisions are still answered,
/// counted unjournaled, health is degraded, and the records reach the sink through memory; with space again, healthy.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _mount = Path.Combine(Path.GetTempPath(), "arbiter-diskfull-" + Guid.NewGuid().ToString("N")[..8]);
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        if (Directory.Exists(_mount))
        {
            Directory.Delete(_mount, recursive: true);
        }
    }

    [SkippableFact]
    public async Task LogAsync_DiskFull_AnsweredCountedDegradedAndStored_HealthyWithSpaceAgain()
    {
        Directory.CreateDirectory(_mount);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", _mount);
        Skip.If(code != 0, $"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {error}");
        _mounted = true;
        var journal = Path.Combine(_mount, "journal");
        Directory.CreateDirectory(journal);
        var filler = Path.Combine(_mount, "filler");
        Fill(filler);

        var sink = new SignalSink();
        var options = new DecisionLogOptions
        {
            Durability = DecisionLogDurability.Journal,
            BatchSize = 10,
            FlushInterval = TimeSpan.FromMilliseconds(10),
            SpillDirectory = journal,
            RetryBaseDelay = TimeSpan.Zero,
            RetryMaxDelay = TimeSpan.Zero,
            SpillDrainInterval = TimeSpan.FromMilliseconds(50),
        };
        using var logger = new DecisionLogger(Microsoft.Extensions.Options.Options.Create(options), NullLogger<DecisionLogger>.Instance);
        var clock = new TestClock();
        using var flusher = new DecisionLogFlusher(logger, sink, clock, NullLogger<DecisionLogFlusher>.Instance);
        await flusher.StartAsync(CancellationToken.None);

        var records = Enumerable.Range(0, 50).Select(_ => Records.Make()).ToList();
        await Task.WhenAll(records.Select(r => logger.LogAsync(r).AsTask()));

        Assert.Equal(DecisionLogHealth.JournalFailed, logger.Health.Reason);
        var full = logger.GetStats();
        Assert.Equal(50, full.Unjournaled);
        Assert.True(full.JournalFailures >= 1);
        await clock.DriveUntil(sink.WhenStored(50), options.FlushInterval);

        File.Delete(filler);
        await logger.LogAsync(Records.Make(id: "with-space"));
        Assert.True(logger.Health.Healthy);

        await flusher.StopAsync(CancellationToken.None);
        Assert.Equal(51, sink.Inner.Count);
        Assert.All(records, r => Assert.True(sink.Inner.Contains(r.Id)));
        Assert.Equal(0, logger.GetStats().LostTotal);
    }

    /// <summary>Writes until the file system refuses.</summary>
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    private static (int Code, string Error) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error.Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
