using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Engine.Tests;

/// <summary>
/// Random tenant documents and requests for the property tests that compare two ways of building the same state
/// (<see cref="IncrementalDirectoryTests"/>, <see cref="ParallelBuildTests"/>): users <c>u*</c>, groups <c>g*</c>, agents
/// <c>a*</c>, tools <c>t*</c> on server <c>s0</c>, policies over them. Each test sizes the tenant itself.
/// </summary>
internal static class RandomTenantDocs
{
    public static SourceChange UserDoc(Random rng, string id) =>
        Doc("user", id, new JsonObject { ["enabled"] = rng.Next(6) > 0, ["attributes"] = new JsonObject { ["level"] = rng.Next(3) } });

    /// <summary>One of four policy shapes; groups past <paramref name="groups"/> name groups that do not exist.</summary>
    public static SourceChange PolicyDoc(Random rng, string id, int groups, int agents, int tools)
    {
        var group = () => Strings(["g" + rng.Next(groups + 4)]);
        var policy = rng.Next(4) switch
        {
            0 => new JsonObject { ["effect"] = "permit", ["actions"] = Strings(["agent.invoke"]), ["subjects"] = new JsonObject { ["groups"] = group() }, ["agents"] = new JsonObject { ["ids"] = Strings(["a" + rng.Next(agents)]) } },
            1 => new JsonObject { ["effect"] = "permit", ["actions"] = Strings(["tools/call"]), ["agents"] = new JsonObject { ["ids"] = Strings(["a" + rng.Next(agents)]) }, ["modes"] = Strings(["principal", "agentOnly"]), ["resources"] = new JsonObject { ["servers"] = Strings(["s0"]) } },
            2 => new JsonObject { ["effect"] = "permit", ["actions"] = Strings(["tools/call"]), ["subjects"] = new JsonObject { ["groups"] = group() }, ["resources"] = new JsonObject { ["maxSensitivity"] = rng.Next(2) == 0 ? "public" : "restricted" } },
            _ => new JsonObject { ["effect"] = "forbid", ["actions"] = Strings(["tools/call"]), ["modes"] = Strings(["principal", "agentOnly"]), ["subjects"] = new JsonObject { ["groups"] = group() }, ["resources"] = new JsonObject { ["ids"] = Strings(["t" + rng.Next(tools)]) } },
        };
        return Doc("policy", id, policy);
    }

    /// <summary>Agents alone and users through agents, invoking agents or calling tools; users drawn from <c>u0</c>..<c>u{users-1}</c>.</summary>
    public static List<DecisionRequest> Requests(Random rng, int count, int users, int agents, int tools)
    {
        var requests = new List<DecisionRequest>();
        for (var i = 0; i < count; i++)
        {
            var tool = new Entity("tool", "t" + rng.Next(tools));
            requests.Add(rng.Next(4) == 0
                ? new DecisionRequest(new Entity("agent", "a" + rng.Next(agents)), "tools/call", tool)
                : new DecisionRequest(new Entity("user", "u" + rng.Next(users)), rng.Next(5) == 0 ? "agent.invoke" : "tools/call",
                    rng.Next(5) == 0 ? new Entity("agent", "a" + rng.Next(agents)) : tool, "a" + rng.Next(agents)));
        }
        return requests;
    }

    public static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];

    /// <summary>A document of <paramref name="kind"/>; <paramref name="bodyId"/> gives its body another id than its key.</summary>
    public static SourceChange Doc(string kind, string id, JsonObject body, string? bodyId = null)
    {
        body["id"] = bodyId ?? id;
        return new SourceChange(kind, id, JsonSerializer.SerializeToElement(body));
    }
}
