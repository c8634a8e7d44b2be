using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arbiter.Benchmarks;

/// <summary>
/// The real self-hosted server (Arbiter.Server.dll) as a child process on a free loopback port, in Development auth
/// mode on its embedded SQLite store, seeded from a tenant file. Disposing always stops it (the whole process tree),
/// also when the benchmark fails or is interrupted.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly string _workDir;
    private int _stopped;

    private ServerProcess(Process process, string workDir, Uri baseAddress)
    {
        _process = process;
        _workDir = workDir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the server and waits until <c>GET /health</c> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(string? serverDll, string tenant, string tenantFile, string sqlitePath, TimeSpan? refreshInterval)
    {
        var dll = serverDll ?? FindServer();
        // Run a private copy: parallel builds of src/ may rewrite bin/ while we measure.
        var workDir = Path.Combine(Path.GetTempPath(), "arbiter-bench-server-" + Guid.NewGuid().ToString("N")[..8]);
        CopyDirectory(Path.GetDirectoryName(dll)!, workDir);
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            Path.Combine(workDir, Path.GetFileName(dll)),
            "--urls", url,
            "--Arbiter:PublicBaseUrl", url,
            "--Auth:Mode", "Development", "--Auth:DevelopmentTenant", tenant,
            "--Store:Kind", "Sqlite", "--Store:SqlitePath", sqlitePath,
            "--Snapshot:Tenants", tenant,
            "--Seed:File", tenantFile, "--Seed:Tenant", tenant,
            // Request logging off: we measure the decision path, not the console.
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Arbiter.Seed", "Information",
        ];
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        if (refreshInterval is { } interval)
        {
            info.ArgumentList.Add("--Snapshot:RefreshInterval");
            info.ArgumentList.Add(interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var server = new ServerProcess(process, workDir, new Uri(url + "/"));
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        Console.CancelKeyPress += (_, _) => server.Kill();
        try
        {
            await server.WaitHealthyAsync(TimeSpan.FromMinutes(5));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>The last lines the server wrote (stdout and stderr), for failure reports.</summary>
    public string RecentOutput()
    {
        lock (_output)
            return string.Join(Environment.NewLine, _output);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"server process {_process.Id} did not exit within 10 s");
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover copy in the temp folder is harmless.
        }
    }

    private void Kill()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
            return;
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 200)
                _output.Dequeue();
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the server exited with code {_process.ExitCode}:{Environment.NewLine}{RecentOutput()}");
            try
            {
                using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy seeding.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the server did not become healthy within {timeout}:{Environment.NewLine}{RecentOutput()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>src/Arbiter.Server/bin/Release/net10.0/Arbiter.Server.dll from the repository root (build it first).</summary>
    private static string FindServer()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Arbiter.Server", "bin", "Release", "net10.0", "Arbiter.Server.dll");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException("Arbiter.Server.dll not found: run `dotnet build -c Release src/Arbiter.Server` first, or pass --server PATH");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
