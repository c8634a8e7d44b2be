using System.Net;
using System.Net.Sockets;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// Runs the built server (Arbiter.Server.dll, copied next to the tests) as its own process in Development mode on a
/// fresh SQLite file, and reports whether it exited (and how) or started listening (then it is stopped at once).
/// </summary>
public static class ServerProcess
{
    public sealed record Run(int? ExitCode, bool Listened, string Output);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<Run> RunAsync(params string[] arguments)
    {
        var directory = Path.Combine(Path.GetTempPath(), "arbiter-api-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        Run run;
        await using (var server = LiveServer.Start(Path.Combine(directory, "server.db"), arguments))
        {
            var outcome = await server.WaitForLineOrExitAsync("Now listening on", TimeSpan.FromSeconds(45));
            run = new Run(outcome == LiveServer.Outcome.Exited ? server.ExitCode : null, outcome == LiveServer.Outcome.Printed, server.Output);
        }
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Only a leaked temp folder.
        }
        return run;
    }
}
