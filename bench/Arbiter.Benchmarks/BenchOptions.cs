using System.Globalization;
using Arbiter.Scenario;

namespace Arbiter.Benchmarks;

/// <summary>Command-line settings shared by the modes; every one has a default so a bare mode name runs.</summary>
internal sealed class BenchOptions
{
    public string? Scenario { get; private set; }

    /// <summary>Concurrent keep-alive connections of the HTTP load (client and server share the machine).</summary>
    public int Connections { get; private set; } = 8;

    /// <summary>Measured seconds per HTTP phase (after a warm-up of a third of that).</summary>
    public int Seconds { get; private set; } = 10;

    /// <summary>Store changes (and kill-switch calls) in refresh mode.</summary>
    public int Changes { get; private set; } = 50;

    /// <summary><c>Snapshot:RefreshInterval</c> of the server in refresh mode.</summary>
    public TimeSpan RefreshInterval { get; private set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>HTTP phases to run (<c>ceiling</c>, <c>single</c>, <c>batch</c>), in that order; all by default.</summary>
    public IReadOnlySet<string> Phases { get; private set; } = new HashSet<string>(AllPhases, StringComparer.Ordinal);

    public static readonly string[] AllPhases = ["ceiling", "single", "batch"];

    /// <summary>Arbiter.Server.dll to run; found from the repository when not given.</summary>
    public string? Server { get; private set; }

    public static BenchOptions Parse(IEnumerable<string> args)
    {
        var o = new BenchOptions();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) && o.Scenario is null)
            {
                // The older form: `engine scenario.json`.
                o.Scenario = name;
                continue;
            }
            if (!e.MoveNext())
                throw new ArgumentException($"{name} needs a value");
            var value = e.Current;
            switch (name)
            {
                case "--scenario": o.Scenario = value; break;
                case "--connections": o.Connections = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": o.Seconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--changes": o.Changes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--interval": o.RefreshInterval = TimeSpan.Parse(value, CultureInfo.InvariantCulture); break;
                case "--server": o.Server = value; break;
                case "--phases":
                    var phases = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (phases.Length == 0 || phases.Any(p => !AllPhases.Contains(p)))
                        throw new ArgumentException($"--phases takes a comma-separated list of {string.Join(", ", AllPhases)}");
                    o.Phases = new HashSet<string>(phases, StringComparer.Ordinal);
                    break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        return o;
    }

    /// <summary>The given scenario file, or the default one generated once into the temp folder.</summary>
    public string ScenarioPath()
    {
        if (Scenario is not null)
            return Scenario;
        return ScenarioFile.Default();
    }
}
