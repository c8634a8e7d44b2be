using System.Text.RegularExpressions;

namespace Arbiter.Deployment.Tests;

/// <summary>
/// A log event id names one event: an alert or a query on event 7001 must not match two different things. Every
/// <c>[LoggerMessage]</c> under src/ has its own id, and docs/telemetry.md lists each id once.
/// </summary>
public sealed partial class LogEventIdTests
{
    [GeneratedRegex(@"\[LoggerMessage\((?:EventId\s*=\s*)?(\d+)")]
    private static partial Regex LoggerMessageId();

    [GeneratedRegex(@"^\| (\d{4}) \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedId();

    [Fact]
    public void LoggerMessages_EveryEventId_UsedOnce()
    {
        var uses = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (Line: line, Place: $"{Path.GetRelativePath(Repository.Root, f)}:{i + 1}")))
            .SelectMany(l => LoggerMessageId().Matches(l.Line).Select(m => (Id: m.Groups[1].Value, l.Place)))
            .ToList();

        Assert.True(uses.Count > 50, $"found only {uses.Count} [LoggerMessage] attributes: the pattern no longer matches them");
        var twice = uses.GroupBy(u => u.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(u => u.Place))}").ToList();
        Assert.True(twice.Count == 0, "event ids used more than once:\n" + string.Join('\n', twice));
    }

    [Fact]
    public void TelemetryDoc_EveryEventRow_ListedOnce()
    {
        var ids = DocumentedId().Matches(File.ReadAllText(Path.Combine(Repository.Root, "docs", "telemetry.md"))).Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(ids);
        Assert.Empty(ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key));
    }
}
