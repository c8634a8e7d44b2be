using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Arbiter.Gateway;
using Arbiter.Gateway.Bench;
using Arbiter.Mcp.Bench;
using Arbiter.Samples.DevIssuer;
using Arbiter.Samples.HrServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

// The gateway's added latency: the official MCP client calling the sample HR server directly, and the same server
// through the gateway (token check, one Arbiter decision, YARP forwarding with the gateway's own token); and the cost
// of tools/list for a server with 100 tools (100 decisions in two batches of 50, plus definition pinning). Arbiter is
// the real server binary in its own process. One call in flight.
// Usage: dotnet run -c Release --project bench/Arbiter.Gateway.Bench -- [--calls 2000] [--server DLL]
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
const string GatewayAudience = "api://arbiter-gateway";

// The 100 tools, registered in Arbiter on their own server and granted to the HR assistant (alice is entitled to
// internal tools through the seed's staff clearance).
using var admin = new HttpClient { BaseAddress = arbiter.Address };
(await admin.PutAsJsonAsync("manage/v1/directory/mcp-servers/bench-mcp", new JsonObject { ["displayName"] = "Benchmark server", ["sensitivity"] = "internal" })).EnsureSuccessStatusCode();
for (var i = 0; i < 100; i++)
    (await admin.PutAsJsonAsync($"manage/v1/directory/tools/{ManyToolsServer.Name(i)}", new JsonObject { ["server"] = "bench-mcp", ["sensitivity"] = "internal" })).EnsureSuccessStatusCode();
(await admin.PostAsJsonAsync("manage/v1/policies", new JsonObject
{
    ["id"] = "bench-hr-assistant", ["description"] = "Benchmark: the HR assistant may use the benchmark server.", ["effect"] = "permit",
    ["actions"] = new JsonArray("tools/call", "tools/list"), ["agents"] = new JsonObject { ["ids"] = new JsonArray("hr-assistant") },
    ["resources"] = new JsonObject { ["servers"] = new JsonArray("bench-mcp") },
})).EnsureSuccessStatusCode();

var hr = HrServerApp.Create([], new Dictionary<string, string?>
{
    ["Urls"] = "http://127.0.0.1:0",
    ["HrServer:Authority"] = issuer.Issuer.ToString(),
    ["Logging:LogLevel:Default"] = "Warning",
    ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
}, enforce: false);
await hr.StartAsync();
var hrEndpoint = new Uri(Address(hr) + "/mcp");
var many = await ManyToolsServer.StartAsync(100);

var gateway = GatewayApp.Create([], new Dictionary<string, string?>
{
    ["Urls"] = "http://127.0.0.1:0",
    ["Logging:LogLevel:Default"] = "Warning",
    ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    ["Gateway:Authority"] = issuer.Issuer.ToString(),
    ["Gateway:Audience"] = GatewayAudience,
    ["Gateway:Upstreams:hr:Url"] = hrEndpoint.ToString(),
    ["Gateway:Upstreams:hr:Scope"] = DevIssuer.DefaultAudience + "/.default",
    ["Gateway:Upstreams:hr:Arbiter:ServerId"] = "hr-mcp",
    ["Gateway:Upstreams:hr:Arbiter:ToolServers:docs-search"] = "docs-mcp",
    ["Gateway:Upstreams:many:Url"] = many.Endpoint.ToString(),
    ["Gateway:Upstreams:many:Arbiter:ServerId"] = "bench-mcp",
    ["Arbiter:Client:Endpoint"] = arbiter.Address.ToString(),
}, services => services.AddSingleton<Azure.Core.TokenCredential>(new DevIssuerCredential(issuer, "arbiter-gateway", ["mcp.proxy"])));
await gateway.StartAsync();
var gatewayAddress = Address(gateway);

async Task<McpClient> ConnectAsync(Uri endpoint, string token) => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
{
    Endpoint = endpoint,
    TransportMode = HttpTransportMode.StreamableHttp,
    AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
}));

var direct = await ConnectAsync(hrEndpoint, issuer.MintDelegated("alice", "hr-assistant"));
var proxied = await ConnectAsync(new Uri(gatewayAddress + "/mcp/hr"), issuer.MintDelegated("alice", "hr-assistant", GatewayAudience));
var manyDirect = await ConnectAsync(many.Endpoint, "unused");
var manyProxied = await ConnectAsync(new Uri(gatewayAddress + "/mcp/many"), issuer.MintDelegated("alice", "hr-assistant", GatewayAudience));

async Task<double[]> MeasureAsync(int count, Func<Task> call)
{
    for (var i = 0; i < count / 10; i++)
        await call();
    var samples = new double[count];
    for (var i = 0; i < count; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await call();
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    Array.Sort(samples);
    return samples;
}

static double At(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

static void Report(string name, double[] s, double[]? baseline = null)
{
    var added = baseline is null ? "" : $"   added p50 {At(s, 0.5) - At(baseline, 0.5),7:F0} µs, p99 {At(s, 0.99) - At(baseline, 0.99),7:F0} µs";
    Console.WriteLine($"{name,-46} p50 {At(s, 0.5),7:F0} µs  p99 {At(s, 0.99),7:F0} µs  mean {s.Average(),7:F0} µs{added}");
}

var docs = new Dictionary<string, object?> { ["query"] = "security" };
async Task CallAsync(McpClient client)
{
    var result = await client.CallToolAsync("docs-search", docs);
    if (result.IsError == true)
        throw new InvalidOperationException("docs-search answered an error: the benchmark would measure a denial");
}
async Task ListAsync(McpClient client, int expected)
{
    var tools = await client.ListToolsAsync();
    if (tools.Count != expected)
        throw new InvalidOperationException($"tools/list answered {tools.Count} tools, expected {expected}");
}

try
{
    var lists = Math.Max(calls / 10, 50);
    var rounds = new List<(string Name, double[] Samples)>();
    // Interleaved rounds, so a change in the shared machine's load hits every variant alike.
    for (var round = 0; round < 2; round++)
    {
        rounds.Add(("tools/call docs-search, direct (baseline)", await MeasureAsync(calls, () => CallAsync(direct))));
        rounds.Add(("tools/call docs-search, through the gateway", await MeasureAsync(calls, () => CallAsync(proxied))));
        rounds.Add(("tools/list 100 tools, direct (baseline)", await MeasureAsync(lists, () => ListAsync(manyDirect, 100))));
        rounds.Add(("tools/list 100 tools, through the gateway", await MeasureAsync(lists, () => ListAsync(manyProxied, 100))));
    }
    Console.WriteLine($"{calls} calls and {lists} lists per variant and round, a tenth as warm-up, one call in flight; both rounds merged");
    double[] Merged(string name) => [.. rounds.Where(r => r.Name == name).SelectMany(r => r.Samples).Order()];
    Report("tools/call docs-search, direct (baseline)", Merged("tools/call docs-search, direct (baseline)"));
    Report("tools/call docs-search, through the gateway", Merged("tools/call docs-search, through the gateway"), Merged("tools/call docs-search, direct (baseline)"));
    Report("tools/list 100 tools, direct (baseline)", Merged("tools/list 100 tools, direct (baseline)"));
    Report("tools/list 100 tools, through the gateway", Merged("tools/list 100 tools, through the gateway"), Merged("tools/list 100 tools, direct (baseline)"));
    Console.WriteLine($"load at the end: {Load()}");
}
finally
{
    foreach (var client in new[] { direct, proxied, manyDirect, manyProxied })
        await client.DisposeAsync();
    foreach (var app in new[] { gateway, hr, many.App })
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
return 0;

static string Address(WebApplication app) =>
    app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single().TrimEnd('/');
