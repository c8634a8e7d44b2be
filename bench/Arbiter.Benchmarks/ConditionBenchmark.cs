using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Benchmarks;

/// <summary>
/// What a condition adds to a decision: the same principal-context tool call decided against two small tenants that
/// differ only in one condition on the user's entitlement, measured back to back (alternating, so a noisy machine
/// affects both alike). The difference of the per-decision times is the condition's cost, variables included.
/// </summary>
internal static class ConditionBenchmark
{
    public const string Typical = "resource.properties.owner == subject.id && context.amount < 10000";

    public const string Bulk = "has(context.bulk) && context.bulk == true";

    public static void Run()
    {
        var request = Request();
        var plain = Tenant(null);
        Measure(request, plain, Typical);
        Measure(request, plain, Bulk);
    }

    private static void Measure(DecisionRequest request, PolicySnapshot plain, string condition)
    {
        var conditioned = Tenant(condition);
        if (!plain.Evaluate(request).Allowed || conditioned.Evaluate(request) is { Allowed: false } d)
        {
            Console.WriteLine($"condition: the probe is not permitted ({conditioned.Evaluate(request).ReasonAdmin}); not measured");
            return;
        }
        var (conditionNs, plainNs) = Alternate((conditioned, request), (plain, request));
        Console.WriteLine($"condition `{condition}`: {conditionNs / 1000:F2} us per decision with it, {plainNs / 1000:F2} us without: adds {(conditionNs - plainNs) / 1000:F2} us");
    }

    /// <summary>Nanoseconds per decision of two (snapshot, request) pairs, warmed up and timed in alternating rounds.</summary>
    internal static (double A, double B) Alternate((PolicySnapshot Snapshot, DecisionRequest Request) a, (PolicySnapshot Snapshot, DecisionRequest Request) b)
    {
        const int n = 200_000;
        for (var i = 0; i < n; i++)
        {
            a.Snapshot.Evaluate(a.Request);
            b.Snapshot.Evaluate(b.Request);
        }
        double aNs = 0, bNs = 0;
        const int rounds = 10;
        for (var round = 0; round < rounds; round++)
        {
            aNs += Time(a.Snapshot, a.Request, n);
            bNs += Time(b.Snapshot, b.Request, n);
        }
        return (aNs / rounds, bNs / rounds);
    }

    private static double Time(PolicySnapshot snapshot, DecisionRequest request, int n)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
            snapshot.Evaluate(request);
        return sw.Elapsed.TotalNanoseconds / n;
    }

    private static DecisionRequest Request()
    {
        // Parsed once and kept: the condition reads the request's JSON on every evaluation, as the engine does.
        var resource = JsonDocument.Parse("""{"owner":"u1"}""").RootElement;
        var context = JsonDocument.Parse("""{"agent":"a1","amount":250,"bulk":true}""").RootElement;
        return new DecisionRequest(new Entity("user", "u1"), "tools/call", new Entity("tool", "t1", resource), "a1", context);
    }

    private static PolicySnapshot Tenant(string? condition)
    {
        var entitlement = new JsonObject
        {
            ["id"] = "ent",
            ["effect"] = "permit",
            ["actions"] = new JsonArray("tools/call"),
            ["subjects"] = new JsonObject { ["users"] = new JsonArray("u1") },
        };
        if (condition is not null)
            entitlement["condition"] = condition;
        string[] documents =
        [
            """{"kind":"user","id":"u1","enabled":true,"attributes":{"department":"HR"}}""",
            """{"kind":"agent","id":"a1","enabled":true,"owner":"u1"}""",
            """{"kind":"mcpServer","id":"s1","sensitivity":"public"}""",
            """{"kind":"tool","id":"t1","server":"s1","sensitivity":"public"}""",
            """{"kind":"policy","id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["u1"]},"agents":{"ids":["a1"]}}""",
            """{"kind":"policy","id":"grant","effect":"permit","actions":["tools/call"],"agents":{"ids":["a1"]},"resources":{"ids":["t1"]}}""",
            "{\"kind\":\"policy\"," + entitlement.ToJsonString()[1..],
        ];
        return Build("bench-conditions", documents);
    }

    /// <summary>A snapshot of small documents, each naming its own <c>kind</c>.</summary>
    internal static PolicySnapshot Build(string tenant, IEnumerable<string> documents)
    {
        var changes = documents.Select(text =>
        {
            var body = JsonNode.Parse(text)!.AsObject();
            var kind = (string)body["kind"]!;
            body.Remove("kind");
            return new SourceChange(kind, (string)body["id"]!, JsonSerializer.SerializeToElement(body));
        });
        return PolicySnapshot.Build(tenant, TenantState.Empty.Apply(changes), 1, TimeProvider.System);
    }
}
