using Arbiter.Benchmarks;
using Arbiter.Scenario;

// Arbiter benchmarks. Usage: dotnet run -c Release --project bench/Arbiter.Benchmarks -- engine [scenario.json]
var mode = args.Length > 0 ? args[0] : "engine";
string Scenario()
{
    if (args.Length > 1)
        return args[1];
    var path = Path.Combine(Path.GetTempPath(), "arbiter-scenario-default.json");
    ScenarioFile.Generate(ScenarioFile.FindGenerator(), path);
    return path;
}

return mode switch
{
    "engine" => EngineBenchmark.Run(Scenario()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Arbiter.Benchmarks engine [scenario.json]");
    return 2;
}
