using Arbiter.Benchmarks;

// Arbiter benchmarks (see bench/README.md):
//   dotnet run -c Release --project bench/Arbiter.Benchmarks -- engine  [--scenario FILE]
//   dotnet run -c Release --project bench/Arbiter.Benchmarks -- http    [--scenario FILE] [--connections 8] [--seconds 10]
//   dotnet run -c Release --project bench/Arbiter.Benchmarks -- refresh [--scenario FILE] [--changes 50] [--interval 00:00:00.050]
//   dotnet run -c Release --project bench/Arbiter.Benchmarks -- scale   [--scenario FILE] [--changes 50]
var options = BenchOptions.Parse(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "engine" or null => EngineBenchmark.Run(options.ScenarioPath()),
        "http" => await HttpBenchmark.RunAsync(options),
        "refresh" => await RefreshBenchmark.RunAsync(options),
        "scale" => ScaleBenchmark.Run(options.ScenarioPath(), options.Changes),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return Usage();
}

static int Usage()
{
    Console.Error.WriteLine("usage: Arbiter.Benchmarks engine|http|refresh|scale [--scenario FILE] [--connections N] [--seconds N] [--changes N] [--interval hh:mm:ss.fff] [--server DLL] [--phases ceiling,single,batch]");
    return 2;
}
