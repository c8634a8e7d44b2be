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

    private static string Mutate(string json, Random random)
    {
        var chars = new StringBuilder(json);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits && chars.Length > 0; e++)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(4))
            {
                case 0: chars.Remove(at, 1); break;
                case 1: chars.Insert(at, "{}[]\":,\\0-eE.ntf\u00e9\u0001 "[random.Next(19)]); break;
                case 2: chars[at] = (char)random.Next(32, 127); break;
                default: chars.Length = at; break;
            }
        }
        return chars.ToString();
    }

    /// <summary>Keeps the JSON valid but replaces one node by a value of another shape, so the handlers see well-formed nonsense.</summary>
    private static string StructuralMutation(string json, Random random)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var nodes = new List<(JsonObject Parent, string Key)>();
        Collect(root, nodes);
        for (var e = 0; e < random.Next(1, 3); e++)
        {
            var (parent, key) = nodes[random.Next(nodes.Count)];
            if (random.Next(5) == 0)
                parent.Remove(key);
            else
                parent[key] = RandomJson(random, 2);
        }
        return root.ToJsonString();
    }

    private static void Collect(JsonObject node, List<(JsonObject, string)> into)
    {
        foreach (var (key, value) in node.ToList())
        {
            into.Add((node, key));
            if (value is JsonObject child)
                Collect(child, into);
            else if (value is JsonArray array)
                foreach (var item in array.OfType<JsonObject>())
                    Collect(item, into);
        }
    }

    private static readonly string[] Words =
        ["subject", "action", "resource", "context", "evaluations", "options", "page", "type", "id", "name", "agent", "token", "limit",
         "evaluations_semantic", "user", "tool", "alice", "hr-assistant", "tools/call", "deny_on_first_deny", "", "properties"];

    private static JsonNode? RandomJson(Random random, int depth)
    {
        switch (depth > 4 ? random.Next(5) : random.Next(8))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(random.Next(-3, 5) * Math.Pow(10, random.Next(0, 12)));
            case 3:
            case 4: return JsonValue.Create(Words[random.Next(Words.Length)]);
            case 5:
            {
                var array = new JsonArray();
                for (var i = random.Next(4); i > 0; i--)
                    array.Add(RandomJson(random, depth + 1));
                return array;
            }
            default:
            {
                var obj = new JsonObject();
                for (var i = random.Next(5); i > 0; i--)
                    obj[Words[random.Next(Words.Length)]] = RandomJson(random, depth + 1);
                return obj;
            }
        }
    }

    private static string RandomBytes(Random random)
    {
        var length = random.Next(0, 64);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
            chars[i] = (char)random.Next(1, 0x2FF);
        return "{" + new string(chars);
    }
}
