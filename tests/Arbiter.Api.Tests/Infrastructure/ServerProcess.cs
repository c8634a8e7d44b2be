using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

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
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Arbiter.Server.dll"));
        foreach (var argument in new[] { "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", "demo", "--Store:Kind", "Sqlite",
                     "--Store:SqlitePath", Path.Combine(directory, "server.db") }.Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var variable in new[] { "ASPNETCORE_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_NOLOGO"] = "1";

        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            if (e.Data.Contains("Now listening on", StringComparison.Ordinal))
                listening.TrySetResult();
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(exited, listening.Task, Task.Delay(TimeSpan.FromSeconds(45)));
        var listened = first == listening.Task;
        int? exitCode = null;
        if (first == exited)
        {
            process.WaitForExit();
            exitCode = process.ExitCode;
        }
        else
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Only a leaked temp folder.
        }
        lock (output)
            return new Run(exitCode, listened, output.ToString());
    }
}
