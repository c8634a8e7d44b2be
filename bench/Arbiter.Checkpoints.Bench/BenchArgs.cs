using System.Globalization;

namespace Arbiter.Checkpoints.Bench;

/// <summary>Command-line settings; the parent passes the same ones to each measuring child.</summary>
internal sealed class BenchArgs
{
    public string Mode { get; private set; } = "run";
    public string? Scenario { get; set; }
    public string Store { get; private set; } = "sqlite";
    public string SqlitePath { get; set; } = "";
    public string Cosmos { get; private set; } = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL") ?? "https://127.0.0.1:8081/";
    public string CosmosDatabase { get; set; } = "";
    public string Storage { get; private set; } = Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") is { Length: > 0 } s ? s : "UseDevelopmentStorage=true";
    public string Container { get; set; } = "";
    public string Tenant { get; private set; } = "bench";
    public int Rounds { get; private set; } = 5;
    public int Tail { get; private set; } = 100;
    public string Load { get; private set; } = "full";
    public string? OldServer { get; private set; }
    public string? NewServer { get; private set; }

    /// <summary>How the old server loads: "full" (checkpoints off, the default) or "checkpoint" (on, like the new one).</summary>
    public string OldLoad { get; private set; } = "full";
    public string? Probe { get; set; }

    /// <summary>Seed into this folder and keep it (and the checkpoint container) afterwards, for measuring builds side by side.</summary>
    public string? Keep { get; private set; }

    public static BenchArgs Parse(string[] args)
    {
        var o = new BenchArgs();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
            o.Mode = args[i++];
        for (; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{args[i]} needs a value");
            var value = args[i + 1];
            switch (args[i])
            {
                case "--scenario": o.Scenario = value; break;
                case "--store": o.Store = value is "sqlite" or "cosmos" ? value : throw new ArgumentException("--store is sqlite or cosmos"); break;
                case "--sqlite": o.SqlitePath = value; break;
                case "--cosmos": o.Cosmos = value; break;
                case "--cosmos-db": o.CosmosDatabase = value; break;
                case "--storage": o.Storage = value; break;
                case "--container": o.Container = value; break;
                case "--tenant": o.Tenant = value; break;
                case "--rounds": o.Rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--tail": o.Tail = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--load": o.Load = value is "full" or "checkpoint" ? value : throw new ArgumentException("--load is full or checkpoint"); break;
                case "--old-server": o.OldServer = value; break;
                case "--new-server": o.NewServer = value; break;
                case "--old-load": o.OldLoad = value is "full" or "checkpoint" ? value : throw new ArgumentException("--old-load is full or checkpoint"); break;
                case "--probe": o.Probe = value; break;
                case "--keep": o.Keep = value; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return o;
    }

    /// <summary>The arguments of a measuring child: the same stores, one load kind.</summary>
    public string[] ForChild(string load) =>
    [
        "measure", "--store", Store, "--sqlite", SqlitePath, "--cosmos", Cosmos, "--cosmos-db", CosmosDatabase,
        "--storage", Storage, "--container", Container, "--tenant", Tenant, "--load", load, "--probe", Probe!,
    ];
}
