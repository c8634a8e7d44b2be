using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arbiter.Gateway.Tests.Infrastructure;

/// <summary>
/// The MCP project's reference server (<c>@modelcontextprotocol/server-everything</c>, TypeScript SDK, Node) on
/// Streamable HTTP, run from <c>infra/node_modules</c> as <c>infra/servers.sh</c> installs it from the committed
/// lockfile (never downloaded at test time). It answers in SSE, with sessions.
/// </summary>
public sealed class EverythingServer : IAsyncDisposable
{
    private readonly Process _process;

    private EverythingServer(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>The server's entry point, or null when infra/node_modules has not been installed.</summary>
    public static string? EntryPoint()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                var entry = Path.Combine(dir.FullName, "infra", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
                return File.Exists(entry) ? entry : null;
            }
        }
        return null;
    }

    public static async Task<EverythingServer> StartAsync(string entryPoint)
    {
        // The server takes its port from PORT and does not report the one it got for 0: take a free one first.
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("node", [entryPoint, "streamableHttp"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (errors)
                errors.AppendLine(e.Data);
            if (e.Data.Contains("listening on port", StringComparison.Ordinal))
                listening.TrySetResult();
        };
        process.OutputDataReceived += (_, _) => { };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("server-everything exited: " + errors));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await listening.Task;
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return new EverythingServer(process, new Uri($"http://127.0.0.1:{port}/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
