using System.Globalization;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Scenario;

namespace Arbiter.DecisionLog.Bench;

/// <summary>
/// encode [scenario.json] [rounds]: the sink's group encoding (<see cref="DecisionGroupCodec.Encode"/>) on records as a
/// server hands them over, from the benchmark scenario (20,000 users; generated with <c>bench/gen-scenario.js</c> when no
/// file is named). A server's records do not share their request's strings: every request is parsed anew, so the
/// subject, agent and resource ids, the resource's MCP server and the request id (one per batch of 100) are fresh
/// instances in each record, as is a permit's reason sentence. Each scenario request is decided by the scenario's
/// snapshot and recorded with fresh copies of those strings, in batches of 2,000 made just before they are encoded, in
/// groups of 1,000 (the flusher's batch and the SQLite sink's group). Reported: CPU per record per round, the median,
/// and bytes per record stored.
/// </summary>
internal static class EncodeRun
{
    private const int Batch = 2_000;
    private const int Group = 1_000;

    public static Task<int> RunAsync(string[] args)
    {
        var path = args.Length > 0 ? args[0] : ScenarioFile.Default();
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var scenario = ScenarioFile.Load(path);
        var snapshot = PolicySnapshot.Build("bench", TenantState.Empty.Apply(scenario.Changes), 1, TimeProvider.System);
        var requests = scenario.Requests.Select(r => r.Request).ToArray();
        var start = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {requests.Length:N0} scenario requests recorded with fresh request strings, batches of {Batch:N0}, groups of {Group:N0}, {rounds} rounds; load {MachineLoad.OneMinute()}");
        var perRound = new List<double>();
        for (var round = 0; round <= rounds; round++)
        {
            long bytes = 0;
            var cpu = TimeSpan.Zero;
            for (var at = 0; at < requests.Length; at += Batch)
            {
                var batch = new DecisionRecord[Math.Min(Batch, requests.Length - at)];
                string? requestId = null;
                for (var i = 0; i < batch.Length; i++)
                {
                    if (i % 100 == 0)
                        requestId = "req-" + (at + i).ToString(CultureInfo.InvariantCulture);
                    var request = Fresh(requests[at + i]);
                    var decision = snapshot.Evaluate(request);
                    var time = start.AddTicks((at + i) * 100L);
                    // A decision id as the engine writes them (milliseconds, instance, counter).
                    var id = string.Create(CultureInfo.InvariantCulture, $"{(ulong)time.ToUnixTimeMilliseconds():x12}{0x5EED5EEDu:x8}{(ulong)(at + i):x12}");
                    batch[i] = DecisionRecord.From("bench", requestId, request, decision, TimeSpan.FromMicroseconds(12), time) with { Id = id };
                }

                var before = Environment.CpuUsage.TotalTime;
                var bodies = batch.Chunk(Group).Select(DecisionGroupCodec.Encode).ToArray();
                cpu += Environment.CpuUsage.TotalTime - before;
                bytes += bodies.Sum(b => (long)b.Length);
            }

            if (round == 0)
                continue; // warm-up: jitted and tiered
            var ns = cpu.TotalNanoseconds / requests.Length;
            perRound.Add(ns);
            Console.WriteLine($"round {round}: {ns:F0} ns CPU per record encoded, {bytes / (double)requests.Length:F1} bytes per record; load {MachineLoad.OneMinute()}");
        }

        perRound.Sort();
        Console.WriteLine($"median: {perRound[perRound.Count / 2]:F0} ns CPU per record encoded");
        return Task.FromResult(0);
    }

    // The request as a server would have parsed it: its own instances of every id (well-known types and actions are
    // shared strings in a server too).
    private static DecisionRequest Fresh(DecisionRequest r) => r with
    {
        Subject = r.Subject with { Id = Copy(r.Subject.Id) },
        Resource = r.Resource with { Id = Copy(r.Resource.Id) },
        AgentId = r.AgentId is null ? null : Copy(r.AgentId),
    };

    private static string Copy(string value) => new(value.AsSpan());
}
