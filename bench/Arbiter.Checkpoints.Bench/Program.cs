using Arbiter.Checkpoints.Bench;

// Cold start from a snapshot checkpoint vs the full read (see bench/README.md, "checkpoints"):
//   dotnet run -c Release --project bench/Arbiter.Checkpoints.Bench -- [--store sqlite|cosmos] [--rounds 5] [--tail 100]
//       [--scenario FILE] [--storage CONNECTION] [--cosmos ENDPOINT] [--old-server DLL --new-server DLL]
// "measure" is the child the run starts for each cold start; "breakdown" (same arguments) times a checkpoint load's steps;
// "server" (same arguments, with --old-server/--new-server) starts the real server on a store kept with --keep.
try
{
    var args0 = BenchArgs.Parse(args);
    return args0.Mode switch
    {
        "run" => await ColdStartRun.RunAsync(args0),
        "measure" => await Measure.RunAsync(args0),
        "breakdown" => await Breakdown.RunAsync(args0),
        "server" => await ServerColdStart.RunKeptAsync(args0),
        _ => throw new ArgumentException($"unknown mode {args0.Mode}"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("usage: Arbiter.Checkpoints.Bench [run] [--store sqlite|cosmos] [--rounds N] [--tail N] [--scenario FILE] [--storage CONNECTION] [--cosmos ENDPOINT] [--old-server DLL --new-server DLL]");
    return 2;
}
