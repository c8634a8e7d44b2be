using System.Collections.Concurrent;
using System.Diagnostics;

namespace Arbiter.Deployment.Tests;

public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Both streams, for assertion messages.</summary>
    public string Output => $"{StdOut}{StdErr}".Trim();
}

/// <summary>
/// The Bicep CLI restored from NuGet by infra/bicep.sh (or the binary named by ARBITER_BICEP).
/// </summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<string> LazyPath = new(Locate);

    // Each CLI start costs seconds; a command whose files did not change answers the same, so tests
    // that need the same build (e.g. main.bicep) share one run.
    private static readonly ConcurrentDictionary<string, Lazy<CliResult>> Runs = new(StringComparer.Ordinal);

    public static string ExecutablePath => LazyPath.Value;

    public static CliResult Run(params string[] arguments) =>
        Runs.GetOrAdd(string.Join('\0', arguments), _ => new Lazy<CliResult>(() => Execute(ExecutablePath, arguments))).Value;

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("ARBITER_BICEP");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"ARBITER_BICEP points to {configured}, which does not exist.");
        }

        var restore = Execute("bash", [Path.Combine(Repository.Root, "infra", "bicep.sh")]);
        if (restore.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra/bicep.sh failed ({restore.ExitCode}):\n{restore.Output}");
        }
        var path = restore.StdOut.Trim().Split('\n')[^1].Trim();
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"infra/bicep.sh printed {path}, which does not exist.");
    }

    private static CliResult Execute(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        // Read both streams concurrently so neither pipe fills up and blocks the child.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} ran longer than {Timeout}.");
        }
        return new CliResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
