using System.Net;
using System.Text;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests;

/// <summary>
/// Every route the server maps (read from its own route table), fuzzed with a fixed seed: route values, query strings,
/// headers and bodies. Nothing a caller sends is ever a 5xx, and a known permit and a known deny answer right
/// throughout. Generated names never name seeded entities, so the admin writes the fuzzer manages to make cannot
/// change those two answers.
/// </summary>
public sealed class RouteFuzzTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private const int Requests = 1500;

    private static readonly string[] AdminWords =
        ["id", "type", "effect", "permit", "actions", "subjects", "users", "agents", "ids", "resources", "tools/call", "agent.invoke",
         "enabled", "suspended", "server", "sensitivity", "restricted", "format", "arbiter-tenant/1", "policies", "evaluations",
         "condition", "true", "fuzz-user", "fuzz-agent", "memberUsers", "", "\u00e9", "1e999"];

    private static readonly string[] RouteValues =
        ["users", "groups", "agents", "mcp-servers", "tools", "data-resources", "fuzz-x", "..", "%2F", "%00", "a b", new string('z', 300), "\u00e9\u00e9", "0"];

    private static readonly string[] QueryKeys =
        ["continuation", "limit", "version", "from", "to", "decision", "pageSize", "agent", "user", "resource", "action", "state", "severity", "full"];

    private static readonly string[] QueryValues =
        ["", "!!!!", "-1", "0", "1", "99999999999", "1e3", "permit", "deny", "true", "x", "2026-13-45", "2026-01-01T00:00:00Z", "%FF", "djE6MQ", "\u00e9"];

    private static readonly string[] Templates =
    [
        """{"id":"fuzz-p","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["fuzz-user"]},"agents":{"ids":["fuzz-agent"]},"condition":"context.x == 1"}""",
        """{"displayName":"fuzz","enabled":true,"suspended":false,"owner":"fuzz-user","sponsors":["fuzz-user"],"tags":["t"],"attributes":{"a":1}}""",
        """{"format":"arbiter-tenant/1","users":[{"id":"fuzz-user","enabled":true}],"policies":[]}""",
        """{"policies":[{"id":"fuzz-w","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["fuzz-user"]},"agents":{"ids":["fuzz-agent"]}}],"remove":["fuzz-p"],"evaluations":[{"subject":{"type":"user","id":"fuzz-user"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"fuzz-agent"}}]}""",
        """{"subject":{"type":"user","id":"fuzz-user"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"fuzz-tool"},"context":{"agent":{"type":"agent","id":"fuzz-agent"}},"page":{"limit":2}}""",
        """{"comment":"fuzz"}""",
    ];

    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task EveryRoute_SeededFuzz_Never5xxAndDecisionsStayRight()
    {
        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        Assert.True(routes.Count >= 27, $"only {routes.Count} routes found");
        var random = new Random(20261201);
        var failures = new List<string>();

        for (var i = 0; i < Requests; i++)
        {
            var (method, pattern) = routes[random.Next(routes.Count)];
            var path = FillRoute(pattern, random) + Query(random);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" && random.Next(10) > 0)
                request.Content = new StringContent(Body(random), Encoding.UTF8, ContentType(random));
            Headers(request, random);

            using var response = await _client.SendAsync(request);

            // A sync run that reached Microsoft Graph and failed there answers 502 with its result (here no Graph is
            // configured): the upstream's failure, whatever the request said. Any other 5xx is a fault.
            var upstream = response.StatusCode == HttpStatusCode.BadGateway && pattern.EndsWith("/sync/run", StringComparison.Ordinal);
            if ((int)response.StatusCode >= 500 && !upstream)
                failures.Add($"{method} {path} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if (i % 100 == 99)
                await AssertDecisionsStayRightAsync();
        }

        Assert.Empty(failures);
        await AssertDecisionsStayRightAsync();
    }

    private async Task AssertDecisionsStayRightAsync()
    {
        Assert.True((await _client.InvokeAsync("alice", "hr-assistant")).Decision(), "the known permit stopped permitting");
        Assert.False((await _client.InvokeAsync("bob", "hr-assistant")).Decision(), "the known deny started permitting");
    }

    private static string FillRoute(string pattern, Random random)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.Split('/'))
        {
            if (segment.Length == 0)
                continue;
            path.Append('/');
            path.Append(segment.StartsWith('{') ? RouteValues[random.Next(RouteValues.Length)] : segment);
        }
        return path.ToString();
    }

    private static string Query(Random random)
    {
        var count = random.Next(4);
        if (count == 0)
            return "";
        var parts = Enumerable.Range(0, count).Select(_ =>
            $"{QueryKeys[random.Next(QueryKeys.Length)]}={Uri.EscapeDataString(QueryValues[random.Next(QueryValues.Length)])}");
        return "?" + string.Join('&', parts);
    }

    private static string Body(Random random)
    {
        var template = Templates[random.Next(Templates.Length)];
        return random.Next(5) switch
        {
            0 => template,
            1 => Fuzz.Mutate(template, random),
            2 => Fuzz.RandomJson(random, 0, AdminWords)?.ToJsonString() ?? "null",
            3 => Fuzz.RandomBytes(random),
            _ => Fuzz.StructuralMutation(template, random, AdminWords),
        };
    }

    private static string ContentType(Random random) => random.Next(8) switch
    {
        0 => "text/plain",
        1 => "application/merge-patch+json",
        _ => "application/json",
    };

    private static void Headers(HttpRequestMessage request, Random random)
    {
        if (random.Next(3) == 0)
            request.Headers.TryAddWithoutValidation("If-Match", random.Next(4) switch { 0 => "*", 1 => "\"junk\"", 2 => "W/\"x\"", _ => "" });
        if (random.Next(3) == 0)
            request.Headers.TryAddWithoutValidation("X-Request-ID", random.Next(3) switch { 0 => "a b c", 1 => new string('r', 500), _ => "id\tx" });
        if (random.Next(6) == 0)
            request.Headers.TryAddWithoutValidation("Authorization", random.Next(2) == 0 ? "Bearer garbage" : "Basic Zm9vOmJhcg==");
    }
}
