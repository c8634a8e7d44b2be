using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arbiter.Cli.Tests.Infrastructure;

/// <summary>
/// The built self-hosted server (Arbiter.Server.dll, copied next to the tests) as a child process on a free loopback
/// port, Development mode, on its own SQLite file seeded with the demo tenant: what the remote commands talk to.
/// Ready when it prints that it listens (an event, not a sleep).
/// </summary>
public sealed class ServerProcess : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public async Task InitializeAsync()
    {
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Arbiter.Server.dll"));
        foreach (var argument in new[]
                 {
                     "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", "demo", "--Store:Kind", "Sqlite",
                     "--Store:SqlitePath", Path.Combine(_folder.Path, "arbiter.db"), "--Seed:File", RepoFiles.Path("infra/seed/demo-tenant.json"),
                     "--Seed:Tenant", "demo", "--Snapshot:Tenants", "demo", "--urls", BaseAddress.ToString().TrimEnd('/'), "--Logging:LogLevel:Default", "Information",
                 })
            start.ArgumentList.Add(argument);
        foreach (var variable in new[] { "ASPNETCORE_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS", "AzureWebJobsStorage" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_NOLOGO"] = "1";
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("the server exited:\n" + Output));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // A guard against a server that never starts, not a timing assertion.
        await _listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (line.Contains("Now listening on", StringComparison.Ordinal))
            _listening.TrySetResult();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
        _folder.Dispose();
    }
}
