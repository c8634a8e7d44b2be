using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Arbiter.Checkpoints.Bench;

/// <summary>
/// The real self-hosted server as a cold instance on the already seeded store (a copy of the SQLite file per start):
/// the old build (full read) and the new one (checkpoint on), alternating; time from process start to the first
/// correct answer to the probe over HTTP.
/// </summary>
internal static class ServerColdStart
{
    /// <summary>The servers on a store and checkpoint kept by an earlier run (<c>--keep</c>): old and new side by side, nothing seeded.</summary>
    public static async Task<int> RunKeptAsync(BenchArgs args)
    {
        if (args.OldServer is null || args.NewServer is null || args.Probe is null)
            throw new ArgumentException("server needs --old-server, --new-server and --probe (as printed by a run with --keep)");
        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(args.SqlitePath))!, "servers");
        Directory.CreateDirectory(work);
        Console.WriteLine($"load at start: {ColdStartRun.Load()}");
        await RunAsync(args, work);
        Console.WriteLine($"load at end: {ColdStartRun.Load()}");
        Directory.Delete(work, recursive: true);
        return 0;
    }

    public static async Task RunAsync(BenchArgs args, string work)
    {
        if (args.Store != "sqlite")
        {
            Console.WriteLine("server cold start: only with --store sqlite (the server's store here is a copy of the seeded file)");
            return;
        }
        var probe = Probe.Decode(args.Probe!);
        var old = new List<double>();
        var @new = new List<double>();
        for (var round = 0; round < args.Rounds; round++)
        {
            foreach (var which in round % 2 == 0 ? new[] { "old", "new" } : ["new", "old"])
            {
                var ms = await StartOnceAsync(args, work, which == "old" ? args.OldServer! : args.NewServer!, checkpoint: which == "new" || args.OldLoad == "checkpoint", probe);
                (which == "old" ? old : @new).Add(ms);
                Console.WriteLine($"  server round {round + 1} {which}: first correct decision {ms:F0} ms after process start");
            }
        }
        var a = Median(old);
        var b = Median(@new);
        Console.WriteLine($"server medians: old ({(args.OldLoad == "checkpoint" ? "checkpoint" : "full read")}) {a:F0} ms, new (checkpoint) {b:F0} ms, ratio {b / a:F2}; old {string.Join(' ', old.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}, new {string.Join(' ', @new.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static async Task<double> StartOnceAsync(BenchArgs args, string work, string dll, bool checkpoint, Probe probe)
    {
        var run = Path.Combine(work, "server-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(run);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(args.SqlitePath + suffix))
                File.Copy(args.SqlitePath + suffix, Path.Combine(run, "store.db" + suffix));
        }
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = run, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["TMPDIR"] = run; // the decision log's spill folder stays with this run
        string[] arguments =
        [
            dll, "--urls", url, "--Arbiter:PublicBaseUrl", url,
            "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", args.Tenant,
            "--Store:Kind", "Sqlite", "--Store:SqlitePath", Path.Combine(run, "store.db"),
            "--Snapshot:Tenants", args.Tenant,
            "--Logging:LogLevel:Default", "Warning",
        ];
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        if (checkpoint)
        {
            foreach (var a in new[] { "--Snapshot:Checkpoint:Enabled", "true", "--Snapshot:Checkpoint:Storage", args.Storage, "--Snapshot:Checkpoint:Container", args.Container })
                info.ArgumentList.Add(a);
        }
        using var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromMinutes(2) }; // a request may wait for the first load
        var body = probe.EvaluationBody();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            while (clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{dll} exited with {process.ExitCode}: {await output} {await errors}");
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await client.PostAsync(new Uri("access/v1/evaluation", UriKind.Relative), content);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        using var answer = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
                        // A deny while the snapshot is loading is not the answer: the probe's reference decision is.
                        if (answer.RootElement.GetProperty("decision").GetBoolean() == probe.Expected)
                            return clock.Elapsed.TotalMilliseconds;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException)
                {
                    // Listening, not answering yet.
                }
                // A client-side poll interval, outside the server: 10 ms of resolution on a figure of hundreds.
                await Task.Delay(10);
            }
            throw new TimeoutException($"{dll} gave no correct answer within 2 minutes: {await output} {await errors}");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
