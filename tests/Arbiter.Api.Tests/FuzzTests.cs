using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>Garbage in is never a 500: hand-picked nasties plus a few hundred seeded random and mutated bodies, on every POST endpoint.</summary>
public sealed class FuzzTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private static readonly string[] Endpoints =
        [Pdp.Evaluation, Pdp.Evaluations, Pdp.SearchSubject, Pdp.SearchResource, Pdp.SearchAction];

    private static readonly string[] Valid =
    [
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup","properties":{"server":"hr-mcp"}},"context":{"agent":{"type":"agent","id":"hr-assistant"},"bulk":false}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"evaluations":[{"resource":{"type":"agent","id":"hr-assistant"}},{"resource":{"type":"agent","id":"general-assistant"}}],"options":{"evaluations_semantic":"deny_on_first_deny"}}""",
        """{"subject":{"type":"user"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"general-assistant"},"page":{"limit":2,"token":""}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool"},"context":{"agent":{"type":"agent","id":"hr-assistant"}},"page":{"limit":1}}""",
    ];

    private readonly HttpClient _client = server.Client;

    public static TheoryData<string> Nasties => new()
    {
        """{"subject":{"type":"user","id":"\u0000"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"bulk":"\ud800"}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":{"type":"agent","id":"hr-assistant"},"bulk":1e400}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":{"type":"robot","id":"hr-assistant"}}}""",
        """{"subject":{"type":"user","id":"alice"},"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""",
        """{"evaluations":{"a":1}}""",
        """{"evaluations":[null,1,"x",[],{}],"subject":{"type":"user","id":"alice"}}""",
        """{"options":{"evaluations_semantic":null},"evaluations":[{}]}""",
        """{"options":"deny_on_first_deny","evaluations":[{}]}""",
        """{"page":{"limit":-1}}""",
        """{"page":{"limit":1e10,"token":"djE6LTE"},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""",
        """{"page":{"limit":2147483648},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""",
        """{"page":{"token":"djE6OTk5OTk5OTk5OTk5"},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""",
        """{"page":{"token":"djE6MjE0NzQ4MzY0Nw"},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""",
        """{"page":{"token":"%%%"},"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""",
        """{"page":{"token":12}}""",
        """{"page":[]}""",
        """{"subject":{"type":"","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"x"}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke","properties":"x"},"resource":{"type":"agent","id":"hr-assistant"}}""",
        """{"subject":{"type":"agent","id":"recon-agent"},"action":{"name":"data.read"},"resource":{"type":"dataset","id":"ledger","properties":{"a":{"b":{"c":[1,2,3]}}}},"context":{"agent":null}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"agent":{"type":"agent","id":"hr-assistant"},"time":"not-a-time","bulk":{"x":[]}}}""",
        """{"subject":{"type":"user","id":"\ud800"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":{"type":"agent","id":"hr-assistant"},"bulk":"\udc00\ud800"}}""",
        """{"subject":{"type":"user"},"action":{"name":"\ud800"},"resource":{"type":"tool","id":"hr-lookup"}}""",
        """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"page":{"token":"\ud800"}}""",
        """{"evaluations":[{"subject":{"type":"user","id":"\ud800"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}],"options":{"evaluations_semantic":"\ud800"}}""",
        "\uFEFF{}",
        "{\"a\":\"\\uZZZZ\"}",
        "\u0000",
        "{}" + new string(' ', 1000),
    };

    [Theory]
    [MemberData(nameof(Nasties))]
    public async Task AllEndpoints_HandPickedGarbage_Never5xx(string body)
    {
        foreach (var endpoint in Endpoints)
        {
            var reply = await _client.PostAsync(endpoint, body);

            Assert.True((int)reply.Status < 500, $"{endpoint} answered {(int)reply.Status} to {body}: {reply.Text}");
        }
    }

    [Fact]
    public async Task AllEndpoints_SeededRandomAndMutatedBodies_Never5xx()
    {
        var random = new Random(20260401);
        var failures = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var body = (i % 4) switch
            {
                0 => Mutate(Valid[random.Next(Valid.Length)], random),
                1 => StructuralMutation(Valid[random.Next(Valid.Length)], random),
                2 => RandomJson(random, 0)?.ToJsonString() ?? "null",
                _ => RandomBytes(random),
            };
            var endpoint = Endpoints[i % Endpoints.Length];

            var reply = await _client.PostAsync(endpoint, body);

            if ((int)reply.Status >= 500)
                failures.Add($"{endpoint} {(int)reply.Status}: {body}");
        }

        Assert.Empty(failures);
    }

    private static string Mutate(string json, Random random) => Fuzz.Mutate(json, random);

    private static string StructuralMutation(string json, Random random) => Fuzz.StructuralMutation(json, random, Fuzz.DecisionWords);

    private static JsonNode? RandomJson(Random random, int depth) => Fuzz.RandomJson(random, depth, Fuzz.DecisionWords);

    private static string RandomBytes(Random random) => Fuzz.RandomBytes(random);
}
