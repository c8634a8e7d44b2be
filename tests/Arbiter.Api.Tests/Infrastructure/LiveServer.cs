using System.Diagnostics;
using System.Text;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>
/// The built server (Arbiter.Server.dll) as a child process on a free loopback port, kept running for a test: its
/// output is watched line by line so a test can wait for what the server says (an event, not a sleep), and it can be
/// stopped hard. Development mode on the SQLite file the test gives.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    private LiveServer(Process process, Uri address)
    {
        _process = process;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static LiveServer Start(string sqlitePath, params string[] arguments)
    {
        var port = ServerProcess.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(sqlitePath)!,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Arbiter.Server.dll"));
        foreach (var argument in new[] { "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", "demo", "--Store:Kind", "Sqlite",
                     "--Store:SqlitePath", sqlitePath, "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default", "Information" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var variable in new[] { "ASPNETCORE_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_NOLOGO"] = "1";
        var server = new LiveServer(new Process { StartInfo = start }, new Uri($"http://127.0.0.1:{port}"));
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The exit code once the process has exited (on its own or stopped), else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the server prints a line containing <paramref name="text"/> (or has printed one), fails if it exits first.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan limit)
    {
        var outcome = await WaitForLineOrExitAsync(text, limit);
        Assert.True(outcome == Outcome.Printed, $"the server did not print '{text}' ({(outcome == Outcome.Exited ? "it exited" : "within " + limit)}):\n{Output}");
    }

    public enum Outcome { Printed, Exited, TimedOut }

    /// <summary>Whichever comes first: the line, the process's exit (then <see cref="ExitCode"/> is set), or the limit.</summary>
    public async Task<Outcome> WaitForLineOrExitAsync(string text, TimeSpan limit)
    {
        TaskCompletionSource seen;
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
                return Outcome.Printed;
            seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((text, seen));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(limit));
        if (first == exited)
            _process.WaitForExit(); // the output is complete once the exit is
        return first == seen.Task ? Outcome.Printed : first == exited ? Outcome.Exited : Outcome.TimedOut;
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (text, seen) in _waits.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                seen.TrySetResult();
                _waits.RemoveAll(w => w.Seen == seen);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
