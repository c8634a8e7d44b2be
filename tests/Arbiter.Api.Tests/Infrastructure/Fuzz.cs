using System.Text;
using System.Text.Json.Nodes;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>Seeded generators of malformed and well-formed-nonsense input, shared by the fuzz suites.</summary>
public static class Fuzz
{
    public static string Mutate(string json, Random random)
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
    public static string StructuralMutation(string json, Random random, string[] words)
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
                parent[key] = RandomJson(random, 2, words);
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

    /// <summary>Words of the decision API (seed ids included: decisions cannot change state).</summary>
    public static readonly string[] DecisionWords =
        ["subject", "action", "resource", "context", "evaluations", "options", "page", "type", "id", "name", "agent", "token", "limit",
         "evaluations_semantic", "user", "tool", "alice", "hr-assistant", "tools/call", "deny_on_first_deny", "", "properties"];

    public static JsonNode? RandomJson(Random random, int depth, string[] words)
    {
        switch (depth > 4 ? random.Next(5) : random.Next(8))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(random.Next(-3, 5) * Math.Pow(10, random.Next(0, 12)));
            case 3:
            case 4: return JsonValue.Create(words[random.Next(words.Length)]);
            case 5:
            {
                var array = new JsonArray();
                for (var i = random.Next(4); i > 0; i--)
                    array.Add(RandomJson(random, depth + 1, words));
                return array;
            }
            default:
            {
                var obj = new JsonObject();
                for (var i = random.Next(5); i > 0; i--)
                    obj[words[random.Next(words.Length)]] = RandomJson(random, depth + 1, words);
                return obj;
            }
        }
    }

    public static string RandomBytes(Random random)
    {
        var length = random.Next(0, 64);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
            chars[i] = (char)random.Next(1, 0x2FF);
        return "{" + new string(chars);
    }
}
