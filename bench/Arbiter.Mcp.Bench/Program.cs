using System.Diagnostics;
using System.Globalization;
using Arbiter.Mcp.Bench;
using Arbiter.Samples.DevIssuer;
using Arbiter.Samples.HrServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

// The added latency of Arbiter.Mcp: the same sample HR server with and without WithArbiterAuthorization(), called
// over loopback by the official MCP client (Streamable HTTP), one call in flight. Arbiter is the real server binary
// in its own process. Usage: dotnet run -c Release --project bench/Arbiter.Mcp.Bench -- [--calls 2000] [--server DLL]
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
var calls = int.Parse(Arg("--calls", "2000"), CultureInfo.InvariantCulture);
var serverDll = Path.GetFullPath(Arg("--server", Path.Combine(root, "src/Arbiter.Server/bin/Release/net10.0/Arbiter.Server.dll")));
if (!File.Exists(serverDll))
{
    Console.Error.WriteLine($"{serverDll} not found: dotnet build -c Release src/Arbiter.Server first");
    return 2;
}

var cpu = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {cpu ?? "unknown CPU"}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {Load()}");

await using var arbiter = await ArbiterProcess.StartAsync(serverDll, Path.Combine(root, "infra/seed/demo-tenant.json"));
await using var issuer = await DevIssuer.StartAsync(new Uri("http://127.0.0.1:0"));
var token = issuer.MintDelegated("alice", "hr-assistant");

async Task<(WebApplication App, McpClient Client)> StartAsync(bool enforce, string? cacheLifetime)
{
    var settings = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:0",
        ["HrServer:Authority"] = issuer.Issuer.ToString(),
        ["Arbiter:Client:Endpoint"] = arbiter.Address.ToString(),
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };
    if (cacheLifetime is not null)
        settings["Arbiter:Client:CacheLifetime"] = cacheLifetime;
    var app = HrServerApp.Create([], settings, enforce);
    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
    var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(address.TrimEnd('/') + "/mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
    }));
    return (app, client);
}

async Task<double[]> MeasureAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
{
    for (var i = 0; i < calls / 10; i++)
        await client.CallToolAsync(tool, arguments);
    var samples = new double[calls];
    for (var i = 0; i < calls; i++)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await client.CallToolAsync(tool, arguments);
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        if (result.IsError == true)
            throw new InvalidOperationException($"{tool} answered an error: the benchmark would measure a denial");
    }
    Array.Sort(samples);
    return samples;
}

static double At(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

static void Report(string name, double[] s, double[]? baseline = null)
{
    var added = baseline is null ? "" : $"   added p50 {At(s, 0.5) - At(baseline, 0.5),7:F0} µs, p99 {At(s, 0.99) - At(baseline, 0.99),7:F0} µs";
    Console.WriteLine($"{name,-44} p50 {At(s, 0.5),7:F0} µs  p99 {At(s, 0.99),7:F0} µs  mean {s.Average(),7:F0} µs{added}");
}

var docs = new Dictionary<string, object?> { ["query"] = "security" };
var plain = await StartAsync(enforce: false, cacheLifetime: null);
var filtered = await StartAsync(enforce: true, cacheLifetime: null);
var cached = await StartAsync(enforce: true, cacheLifetime: "00:00:01");
try
{
    // Interleaved rounds, so a change in the shared machine's load hits every variant alike.
    var rounds = new List<(string Name, double[] Samples)>();
    for (var round = 0; round < 2; round++)
    {
        rounds.Add(("docs-search, no filter (baseline)", await MeasureAsync(plain.Client, "docs-search", docs)));
        rounds.Add(("docs-search, filtered (1 evaluation)", await MeasureAsync(filtered.Client, "docs-search", docs)));
        rounds.Add(("docs-search, filtered, cache 1 s", await MeasureAsync(cached.Client, "docs-search", docs)));
        rounds.Add(("hr-lookup, filtered (batch of 3 + redaction)", await MeasureAsync(filtered.Client, "hr-lookup", new Dictionary<string, object?> { ["name"] = "" })));
    }
    Console.WriteLine($"{calls} calls per variant and round, {calls / 10} warm-up calls, one call in flight; both rounds merged");
    double[] Merged(string name) => [.. rounds.Where(r => r.Name == name).SelectMany(r => r.Samples).Order()];
    var baseline = Merged("docs-search, no filter (baseline)");
    Report("docs-search, no filter (baseline)", baseline);
    Report("docs-search, filtered (1 evaluation)", Merged("docs-search, filtered (1 evaluation)"), baseline);
    Report("docs-search, filtered, cache 1 s", Merged("docs-search, filtered, cache 1 s"), baseline);
    Report("hr-lookup, filtered (batch of 3 + redaction)", Merged("hr-lookup, filtered (batch of 3 + redaction)"), baseline);
    Console.WriteLine($"load at the end: {Load()}");
}
finally
{
    foreach (var (app, client) in new[] { plain, filtered, cached })
    {
        await client.DisposeAsync();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
return 0;
