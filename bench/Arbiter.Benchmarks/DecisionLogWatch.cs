using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arbiter.Benchmarks;

/// <summary>
/// Whether the decision log keeps up with a load phase (issue #22): a decision rate that only holds while the audit
/// trail falls behind is not a real rate. Reads the server's own figures from <c>GET /health</c> (Development auth
/// answers with the full report: records written, spilled, backlog) and the bytes waiting in its spill directory
/// (journal and spill segments), right as a phase ends; then waits until the log has stored everything (records
/// written unchanged for <see cref="Settled"/>, longer than the flusher's 1 s flush interval) and reports how long that
/// took, the log's write rate over phase + drain, the server's CPU per decision over phase + drain, and its CPU in the
/// second after (idle: near 0).
/// </summary>
internal sealed class DecisionLogWatch(HttpClient client, string spillDirectory, int serverPid)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(2.5);
    private static readonly TimeSpan MaxDrain = TimeSpan.FromMinutes(10);
    private long _writtenBefore;
    private long _spilledBefore;
    private long _bytesBefore;
    private double _cpuBefore;
    private Stopwatch _phase = Stopwatch.StartNew();

    /// <summary>The spill directory the server derives for its SQLite file (as <c>DecisionLogOptions.SpillDirectoryFor</c> does).</summary>
    public static DecisionLogWatch For(HttpClient client, string sqlitePath, int serverPid)
    {
        var identity = "sqlite:" + Path.GetFullPath(sqlitePath);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        return new DecisionLogWatch(client, Path.Combine(Path.GetTempPath(), "arbiter", "decision-spill", hash), serverPid);
    }

    /// <summary>Takes the figures a phase starts from (call right before it).</summary>
    public async Task BeforePhaseAsync()
    {
        var (written, spilled, _) = await FiguresAsync();
        _writtenBefore = written;
        _spilledBefore = spilled;
        _bytesBefore = WaitingBytes();
        _cpuBefore = CpuSeconds();
        _phase = Stopwatch.StartNew();
    }

    /// <summary>Right after a phase: the backlog, then the time until it is stored, as one line.</summary>
    public async Task<string> AfterPhaseAsync(string name)
    {
        var phaseSeconds = _phase.Elapsed.TotalSeconds;
        var (writtenAtEnd, spilledAtEnd, backlog) = await FiguresAsync();
        var bytesAtEnd = WaitingBytes();
        var spillAtEnd = SpillBytes();
        var drain = Stopwatch.StartNew();
        var last = writtenAtEnd;
        var lastChange = TimeSpan.Zero;
        // Settled: nothing written for a while and no spill file left (in memory mode a spill is drained every 5 s, so
        // written pauses between drains while records still wait on disk). Bounded, so a log that never catches up ends.
        while ((drain.Elapsed - lastChange < Settled || SpillBytes() > 0) && drain.Elapsed < MaxDrain)
        {
            await Task.Delay(50);
            var (written, _, _) = await FiguresAsync();
            if (written != last)
            {
                last = written;
                lastChange = drain.Elapsed;
            }
        }

        var cpuBefore = CpuSeconds();
        // The server's CPU for everything the phase asked of it (warm-up included, log stored), per record: what load on
        // a shared machine changes least, where rates follow the machine's other work.
        var cpuPerRecord = (cpuBefore - _cpuBefore) / Math.Max(1, last - _writtenBefore) * 1e6;
        var idle = Stopwatch.StartNew();
        await Task.Delay(1000);
        var cpu = (CpuSeconds() - cpuBefore) / idle.Elapsed.TotalSeconds;
        var (_, spilledAfter, _) = await FiguresAsync();
        var stored = last - _writtenBefore;
        return string.Create(CultureInfo.InvariantCulture,
            $"  decision log after {name}: {stored:N0} records stored ({(writtenAtEnd - _writtenBefore):N0} by the phase's end, backlog then {last - writtenAtEnd:N0}, queue {backlog:N0}); "
            + $"spilled {spilledAtEnd - _spilledBefore:N0} during, {spilledAfter - _spilledBefore:N0} in all; journal + spill files {_bytesBefore / 1024.0:F0} KB before, {bytesAtEnd / 1024.0:F0} KB at the end (spill {spillAtEnd / 1024.0:F0} KB), {WaitingBytes() / 1024.0:F0} KB after; "
            + $"all stored {lastChange.TotalSeconds:F2} s after the phase (log wrote {stored / (phaseSeconds + lastChange.TotalSeconds):N0} records/s over phase + drain); server CPU {cpuPerRecord:F1} µs per decision over phase + drain, log included; after: {cpu:P0} of a core");
    }

    private async Task<(long Written, long Spilled, long Backlog)> FiguresAsync()
    {
        using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        if (!document.RootElement.TryGetProperty("decisionLogStats", out var log) || log.ValueKind != JsonValueKind.Object)
            throw new InvalidOperationException("GET /health has no decisionLog figures (Development auth gives the full report)");
        return (log.GetProperty("written").GetInt64(), log.GetProperty("spilled").GetInt64(), log.GetProperty("backlog").GetInt64());
    }

    // Journal segments (journal-*.jsonl; the open one stays after it is stored) and spill segments (decisions-*.jsonl).
    private long WaitingBytes() => Bytes("*.jsonl");

    private long SpillBytes() => Bytes("decisions-*.jsonl");

    private long Bytes(string pattern) =>
        Directory.Exists(spillDirectory) ? new DirectoryInfo(spillDirectory).EnumerateFiles(pattern).Sum(f => f.Length) : 0;

    /// <summary>The server's user + system CPU (Linux /proc; clock ticks of 100 Hz).</summary>
    private double CpuSeconds()
    {
        var stat = $"/proc/{serverPid}/stat";
        if (!File.Exists(stat))
            return double.NaN;
        var fields = File.ReadAllText(stat).Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
