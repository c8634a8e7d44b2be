using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Arbiter.Benchmarks;

/// <summary>What one load phase measured: completed requests, failures, and the latency of each request.</summary>
internal sealed record LoadResult(string Name, long Requests, long Failures, double Seconds, Percentiles LatencyMicroseconds)
{
    public double RequestsPerSecond => Requests / Seconds;

    public double P99Ms => LatencyMicroseconds.At(0.99) / 1000;

    public string Line(int itemsPerRequest = 1) =>
        $"{Name,-28} {RequestsPerSecond,10:N0} req/s" +
        (itemsPerRequest > 1 ? $" {RequestsPerSecond * itemsPerRequest,12:N0} decisions/s" : "") +
        $"  p50 {LatencyMicroseconds.At(0.50) / 1000:F3} ms  p99 {LatencyMicroseconds.At(0.99) / 1000:F3} ms  ({Requests:N0} requests, {Failures} failed)";
}

/// <summary>
/// Closed-loop HTTP/1.1 load: <c>connections</c> workers, each with one request in flight on its own keep-alive
/// connection, for a warm-up and then a measured period. Responses are read in full; their status must be 200.
/// </summary>
internal static class LoadRunner
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static HttpClient CreateClient(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A GET (body null) or a JSON POST of <paramref name="bodies"/>[i % n], round robin per worker.</summary>
    public static async Task<LoadResult> RunAsync(string name, HttpClient client, string path, IReadOnlyList<byte[]>? bodies, int connections, TimeSpan warmup, TimeSpan measured)
    {
        await PhaseAsync(client, path, bodies, connections, warmup, record: false);
        return await PhaseAsync(client, path, bodies, connections, measured, record: true, name);
    }

    private static async Task<LoadResult> PhaseAsync(HttpClient client, string path, IReadOnlyList<byte[]>? bodies, int connections, TimeSpan duration, bool record, string name = "")
    {
        var uri = new Uri(path, UriKind.Relative);
        var latencies = new List<double>[connections];
        var failures = 0L;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(record ? 1 << 16 : 0);
            var i = w * 7919;
            while (clock.Elapsed < duration)
            {
                using var message = new HttpRequestMessage(bodies is null ? HttpMethod.Get : HttpMethod.Post, uri);
                if (bodies is not null)
                    message.Content = new ByteArrayContent(bodies[i++ % bodies.Count]) { Headers = { ContentType = Json } };
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    _ = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                if (record)
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l);
        var percentiles = new Percentiles(all);
        return new LoadResult(name, percentiles.Count, failures, seconds, percentiles);
    }
}
