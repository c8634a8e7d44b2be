using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arbiter.Mcp.Bench;

/// <summary>
/// The real self-hosted Arbiter (<c>Arbiter.Server.dll</c>) as a child process on a free loopback port: Development
/// auth, a fresh SQLite file, the demo tenant. Killed (process tree) on dispose.
/// </summary>
internal sealed class ArbiterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private ArbiterProcess(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ArbiterProcess> StartAsync(string serverDll, string seedFile)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var directory = Path.Combine(Path.GetTempPath(), "arbiter-mcp-bench", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(serverDll)! };
        foreach (var argument in new[]
                 {
                     serverDll, "--urls", address.ToString().TrimEnd('/'), "--Arbiter:PublicBaseUrl", address.ToString().TrimEnd('/'),
                     "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", "demo", "--Store:Kind", "Sqlite",
                     "--Store:SqlitePath", Path.Combine(directory, "arbiter.db"), "--Snapshot:Tenants", "demo",
                     "--Seed:File", seedFile, "--Seed:Tenant", "demo", "--Logging:LogLevel:Default", "Warning",
                 })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start Arbiter.Server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ArbiterProcess(process, directory, address);
        using var http = new HttpClient { BaseAddress = address };
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Arbiter.Server exited with {process.ExitCode}");
            try
            {
                using var response = await http.GetAsync(new Uri("health", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                    return server;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException("Arbiter.Server did not become healthy within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Only a leaked temp folder.
        }
    }
}
