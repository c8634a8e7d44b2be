using System.Collections.Concurrent;

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
        Runs.GetOrAdd(string.Join('\0', arguments), _ => new Lazy<CliResult>(() => Command.Run(ExecutablePath, arguments, Timeout))).Value;

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("ARBITER_BICEP");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"ARBITER_BICEP points to {configured}, which does not exist.");
        }

        var restore = Command.Run("bash", [Path.Combine(Repository.Root, "infra", "bicep.sh")], Timeout);
        if (restore.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra/bicep.sh failed ({restore.ExitCode}):\n{restore.Output}");
        }
        var path = restore.StdOut.Trim().Split('\n')[^1].Trim();
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"infra/bicep.sh printed {path}, which does not exist.");
    }
}
