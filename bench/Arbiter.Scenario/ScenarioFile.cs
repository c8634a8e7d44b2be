using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Scenario;

/// <summary>One request of the shared benchmark scenario and the reference implementation's answer.</summary>
public sealed record ScenarioRequest(DecisionRequest Request, bool Expected);

/// <summary>
/// Reads the synthetic enterprise written by ../shared/bench/gen-scenario.js and expresses its six rule kinds as
/// Arbiter policies and directory documents, so the engine can be checked against the scenario's reference decisions.
/// </summary>
public sealed class ScenarioFile
{
    private ScenarioFile(IReadOnlyList<SourceChange> changes, IReadOnlyList<ScenarioRequest> requests, int policies)
    {
        Changes = changes;
        Requests = requests;
        PolicyCount = policies;
    }

    public IReadOnlyList<SourceChange> Changes { get; }
    public IReadOnlyList<ScenarioRequest> Requests { get; }
    public int PolicyCount { get; }

    /// <summary>The shared default scenario (20,000 users) in the temp folder, generated there the first time.</summary>
    public static string Default()
    {
        var path = Path.Combine(Path.GetTempPath(), "arbiter-scenario-default.json");
        Generate(FindGenerator(), path);
        return path;
    }

    /// <summary>Runs the generator (Node.js) into <paramref name="path"/> unless the file already exists.</summary>
    public static void Generate(string generator, string path, params string[] arguments)
    {
        if (File.Exists(path))
            return;
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(generator);
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        info.ArgumentList.Add("--out=" + path);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"gen-scenario.js failed ({process.ExitCode}): {error}");
    }

    /// <summary>Finds ../shared/bench/gen-scenario.js from the repository root.</summary>
    public static string FindGenerator()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "bench", "gen-scenario.js"));
                if (File.Exists(candidate))
                    return candidate;
                candidate = Path.Combine(dir.FullName, "bench", "gen-scenario.js");
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        throw new FileNotFoundException("gen-scenario.js not found (expected ../shared/bench/ beside the repository, or bench/)");
    }

    public static ScenarioFile Load(string path)
    {
        var sections = ReadSections(path);
        var changes = new List<SourceChange>();

        var members = new Dictionary<string, (List<string> Users, List<string> Groups)>(StringComparer.Ordinal);
        foreach (var g in sections["groups"])
            members[g.GetProperty("id").GetString()!] = ([], []);
        foreach (var g in sections["groups"])
        {
            if (g.GetProperty("parent").GetString() is { } parent)
                members[parent].Groups.Add(g.GetProperty("id").GetString()!);
        }
        foreach (var u in sections["users"])
        {
            var id = u.GetProperty("id").GetString()!;
            changes.Add(Change(SourceKinds.User, id, new JsonObject { ["enabled"] = true }));
            foreach (var g in u.GetProperty("groups").EnumerateArray())
                members[g.GetString()!].Users.Add(id);
        }
        foreach (var (id, (users, groups)) in members)
            changes.Add(Change(SourceKinds.Group, id, new JsonObject { ["memberUsers"] = Array(users), ["memberGroups"] = Array(groups) }));
        foreach (var s in sections["servers"])
            changes.Add(Change(SourceKinds.McpServer, s.GetProperty("id").GetString()!, new JsonObject { ["sensitivity"] = "public" }));
        foreach (var t in sections["tools"])
        {
            changes.Add(Change(SourceKinds.Tool, t.GetProperty("id").GetString()!, new JsonObject
            {
                ["server"] = t.GetProperty("server").GetString(),
                ["sensitivity"] = SensitivityNames.All[t.GetProperty("sensitivity").GetInt32()],
            }));
        }
        foreach (var a in sections["agents"])
        {
            changes.Add(Change(SourceKinds.Agent, a.GetProperty("id").GetString()!, new JsonObject
            {
                ["enabled"] = true,
                ["owner"] = a.GetProperty("owner").GetString(),
            }));
        }

        var n = 0;
        foreach (var rule in sections["rules"])
        {
            var policy = ToPolicy(rule, $"r{n++:D5}");
            changes.Add(Change(SourceKinds.Policy, policy["id"]!.GetValue<string>(), policy));
        }

        var requests = new List<ScenarioRequest>();
        foreach (var r in sections["requests"])
        {
            var tool = new Entity("tool", r.GetProperty("tool").GetString()!);
            var agent = r.GetProperty("agent").GetString()!;
            var request = r.GetProperty("mode").GetString() == "agent"
                ? new DecisionRequest(new Entity(SubjectTypes.Agent, agent), WellKnownActions.ToolsCall, tool)
                : new DecisionRequest(new Entity(SubjectTypes.User, r.GetProperty("user").GetString()!), WellKnownActions.ToolsCall, tool, agent);
            requests.Add(new ScenarioRequest(request, r.GetProperty("expected").GetString() == "permit"));
        }
        return new ScenarioFile(changes, requests, n);
    }

    /// <summary>
    /// The file's top-level arrays, each element parsed on its own. Not one <see cref="JsonDocument"/> over the whole
    /// file: at 1 M users that rents ~500 MB from the shared array pool, which keeps the arrays after the document is
    /// disposed until a time-based trim — so a memory figure taken later counted them or not, depending on the minute.
    /// </summary>
    private static Dictionary<string, List<JsonElement>> ReadSections(string path)
    {
        var reader = new Utf8JsonReader(File.ReadAllBytes(path));
        var sections = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new InvalidDataException($"{path}: a scenario is a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            var items = new List<JsonElement>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                items.Add(JsonElement.ParseValue(ref reader));
            sections[name] = items;
        }
        return sections;
    }

    /// <summary>The six rule kinds as policies (see the scenario's "semantics").</summary>
    public static JsonObject ToPolicy(JsonElement rule, string id)
    {
        string S(string name) => rule.GetProperty(name).GetString()!;
        var call = Array([WellKnownActions.ToolsCall]);
        return rule.GetProperty("kind").GetString() switch
        {
            "groupUsesAgent" => new JsonObject
            {
                ["id"] = id, ["effect"] = "permit", ["actions"] = Array([WellKnownActions.AgentInvoke]),
                ["subjects"] = new JsonObject { ["groups"] = Array([S("group")]) },
                ["agents"] = new JsonObject { ["ids"] = Array([S("agent")]) },
            },
            "agentInvokesTool" => new JsonObject
            {
                ["id"] = id, ["effect"] = "permit", ["actions"] = call,
                ["agents"] = new JsonObject { ["ids"] = Array([S("agent")]) },
                ["resources"] = new JsonObject { ["ids"] = Array([S("tool")]) },
            },
            "agentInvokesServer" => new JsonObject
            {
                ["id"] = id, ["effect"] = "permit", ["actions"] = call,
                ["agents"] = new JsonObject { ["ids"] = Array([S("agent")]) },
                ["resources"] = new JsonObject { ["servers"] = Array([S("server")]) },
            },
            "groupClearance" => new JsonObject
            {
                ["id"] = id, ["effect"] = "permit", ["actions"] = call,
                ["subjects"] = new JsonObject { ["groups"] = Array([S("group")]) },
                ["resources"] = new JsonObject { ["types"] = Array(["tool"]), ["maxSensitivity"] = SensitivityNames.All[rule.GetProperty("maxSensitivity").GetInt32()] },
            },
            "groupDeniedTool" => new JsonObject
            {
                ["id"] = id, ["effect"] = "forbid", ["actions"] = call, ["modes"] = Array(["principal", "agentOnly"]),
                ["subjects"] = new JsonObject { ["groups"] = Array([S("group")]) },
                ["resources"] = new JsonObject { ["ids"] = Array([S("tool")]) },
            },
            "agentOnlyTool" => new JsonObject
            {
                ["id"] = id, ["effect"] = "permit", ["actions"] = call, ["modes"] = Array(["agentOnly"]),
                ["agents"] = new JsonObject { ["ids"] = Array([S("agent")]) },
                ["resources"] = new JsonObject { ["ids"] = Array([S("tool")]) },
            },
            var kind => throw new InvalidDataException($"unknown rule kind '{kind}'"),
        };
    }

    private static JsonArray Array(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];

    private static SourceChange Change(string kind, string id, JsonObject body)
    {
        body["id"] = id;
        return new SourceChange(kind, id, JsonSerializer.SerializeToElement(body));
    }
}
