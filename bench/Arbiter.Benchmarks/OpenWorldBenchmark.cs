using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Benchmarks;

/// <summary>
/// An open-world decision: a RAG chunk nobody registered, read by an agent for a user, decided from the request's
/// properties — the agent's grant bounds its classification, the user's entitlement is one property condition
/// (department). Measured against the same request on a registered document with the same policies minus the
/// condition, alternating, so the figure is what the request-supplied resource and its condition cost.
/// </summary>
internal static class OpenWorldBenchmark
{
    public const string Condition = "resource.properties.department == subject.attributes.department";

    public static void Run()
    {
        var snapshot = Tenant();
        var supplied = Request(new Entity("kb_chunk", "handbook#12", JsonDocument.Parse("""{"classification":"confidential","department":"HR"}""").RootElement));
        var registered = Request(new Entity("document", "policy-doc"));
        foreach (var request in new[] { supplied, registered })
        {
            if (!snapshot.Evaluate(request).Allowed)
            {
                Console.WriteLine($"open world: the probe is not permitted ({snapshot.Evaluate(request).ReasonAdmin}); not measured");
                return;
            }
        }
        var (suppliedNs, registeredNs) = ConditionBenchmark.Alternate((snapshot, supplied), (snapshot, registered));
        Console.WriteLine($"open world: a request-supplied chunk decided by `{Condition}`: {1e9 / suppliedNs:N0} decisions/s ({suppliedNs / 1000:F2} us); "
            + $"a registered document without a condition: {1e9 / registeredNs:N0} decisions/s ({registeredNs / 1000:F2} us)");
    }

    private static DecisionRequest Request(Entity resource) => new(new Entity("user", "u1"), "data.read", resource, "a1");

    private static PolicySnapshot Tenant()
    {
        string[] documents =
        [
            """{"kind":"user","id":"u1","enabled":true,"attributes":{"department":"HR"}}""",
            """{"kind":"agent","id":"a1","enabled":true,"owner":"u1"}""",
            """{"kind":"dataResource","id":"policy-doc","type":"document","classification":"internal"}""",
            """{"kind":"policy","id":"inv","effect":"permit","actions":["agent.invoke"],"subjects":{"users":["u1"]},"agents":{"ids":["a1"]}}""",
            """{"kind":"policy","id":"grant","effect":"permit","actions":["data.read"],"agents":{"ids":["a1"]},"resources":{"types":["kb_chunk","document"],"maxSensitivity":"confidential"}}""",
            """{"kind":"policy","id":"docs","effect":"permit","actions":["data.read"],"subjects":{"users":["u1"]},"resources":{"types":["document"]}}""",
            """{"kind":"policy","id":"chunks","effect":"permit","actions":["data.read"],"subjects":{"users":["u1"]},"resources":{"types":["kb_chunk"]},"condition":""" + "\"" + Condition + "\"}",
        ];
        return ConditionBenchmark.Build("bench-open-world", documents);
    }
}
