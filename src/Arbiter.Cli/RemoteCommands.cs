using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arbiter.Cli;

/// <summary>
/// The commands that operate a running deployment through its admin API (no store access of their own): policy
/// push / pull / diff / replay, agents suspend / resume, decisions query, governance approve / revoke / suspend, whatif.
/// Each takes <c>--server</c> (or ARBITER_SERVER) and, for Entra ID, <c>--scope</c> (or ARBITER_SCOPE). A refusal of the
/// server is one line with its status and detail: exit 1 for a rejected input (400, 404, 409, 412, 428), 2 otherwise.
/// </summary>
internal static class RemoteCommands
{
    private static readonly Option<string?> Server = new("--server")
    {
        Description = "The deployment's base URL, e.g. http://127.0.0.1:5080 (default: ARBITER_SERVER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ARBITER_SERVER") is { Length: > 0 } s ? s : null,
        Recursive = true,
    };

    private static readonly Option<string?> Scope = new("--scope")
    {
        Description = "Entra ID scope to get a token for (e.g. api://arbiter/.default; default: ARBITER_SCOPE; none: a Development server on loopback)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ARBITER_SCOPE") is { Length: > 0 } s ? s : null,
        Recursive = true,
    };

    /// <summary>Adds the remote commands to the tree (policy push/pull/diff/replay go under the existing <paramref name="policy"/>).</summary>
    public static void AddTo(RootCommand root, Command policy)
    {
        root.Options.Add(Server);
        root.Options.Add(Scope);
        policy.Subcommands.Add(Push());
        policy.Subcommands.Add(Pull());
        policy.Subcommands.Add(Diff());
        policy.Subcommands.Add(Replay());
        root.Subcommands.Add(new Command("agents", "The agent kill switch") { AgentAction("suspend"), AgentAction("resume") });
        root.Subcommands.Add(new Command("decisions", "The decision log") { Query() });
        root.Subcommands.Add(WhatIf());
        var governance = root.Subcommands.First(c => c.Name == "governance");
        foreach (var verb in new[] { "approve", "revoke", "suspend" })
            governance.Subcommands.Add(Review(verb));
    }

    private static RemoteApi Connect(ParseResult parse)
    {
        var text = parse.GetValue(Server) ?? throw new ArgumentException("no server: pass --server URL or set ARBITER_SERVER");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--server: '{text}' is not an http(s) URL, e.g. http://127.0.0.1:5080");
        return new RemoteApi(server, parse.GetValue(Scope));
    }

    private static int Refused(RemoteReply reply)
    {
        Console.Error.WriteLine($"arbiter: the server refused: {reply.Problem()}");
        if (reply.Json is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var error in errors.EnumerateArray())
                Console.Error.WriteLine($"  {Str(error, "path")}: {Str(error, "message")}");
        }
        return (int)reply.Status is 400 or 404 or 409 or 412 or 428 ? ExitCodes.Failed : ExitCodes.Error;
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // ---- policy push / pull / diff -------------------------------------------------------------------------------

    private static Command Push()
    {
        var path = new Argument<string>("path") { Description = "Policy files, a tenant file or a directory (as 'policy validate' reads them)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be created and updated; change nothing" };
        var command = new Command("push", "Create or update the server's policies from local files (validated first; nothing is deleted)") { path, dryRun };
        command.SetAction(async (parse, ct) =>
        {
            using var files = ReadValid(parse.GetValue(path)!);
            if (files is null)
                return ExitCodes.Failed;
            using var api = Connect(parse);
            int created = 0, updated = 0, unchanged = 0;
            foreach (var entry in files.Policies)
            {
                var id = entry.Parsed.Policy!.Id;
                var current = await api.GetAsync($"{RemoteApi.AdminPrefix}/policies/{Uri.EscapeDataString(id)}", ct);
                RemoteReply written;
                if (current.Status == System.Net.HttpStatusCode.NotFound)
                {
                    Console.WriteLine($"create {id}");
                    created++;
                    if (parse.GetValue(dryRun))
                        continue;
                    written = await api.PostAsync($"{RemoteApi.AdminPrefix}/policies", entry.Document, ct);
                }
                else if (!current.Ok)
                {
                    return Refused(current);
                }
                else if (SameBody(current.Json!.Value.GetProperty("body"), entry.Document))
                {
                    unchanged++;
                    continue;
                }
                else
                {
                    Console.WriteLine($"update {id}");
                    updated++;
                    if (parse.GetValue(dryRun))
                        continue;
                    written = await api.SendAsync(HttpMethod.Put, $"{RemoteApi.AdminPrefix}/policies/{Uri.EscapeDataString(id)}", entry.Document, current.ETag ?? "*", ct);
                }
                if (!written.Ok)
                {
                    Console.Error.WriteLine($"{JsonFile.Place(entry.File, entry.Pointer)}: not written");
                    return Refused(written);
                }
            }
            Console.Error.WriteLine($"{(parse.GetValue(dryRun) ? "would create" : "created")} {created}, {(parse.GetValue(dryRun) ? "update" : "updated")} {updated}, {unchanged} unchanged");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Pull()
    {
        var directory = new Argument<string>("dir") { Description = "Where to write one <id>.json per policy (created if missing; existing files of the same id are overwritten)" };
        var command = new Command("pull", "Write the server's policies to a directory, one file per policy") { directory };
        command.SetAction(async (parse, ct) =>
        {
            using var api = Connect(parse);
            var (policies, refused) = await ListPoliciesAsync(api, ct);
            if (refused is not null)
                return Refused(refused);
            var dir = parse.GetValue(directory)!;
            Directory.CreateDirectory(dir);
            foreach (var (id, body) in policies)
                await File.WriteAllTextAsync(Path.Combine(dir, id + ".json"), JsonSerializer.Serialize(body, RemoteJson.Indented) + "\n", ct);
            Console.Error.WriteLine($"{policies.Count} policies written to {dir}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Diff()
    {
        var path = new Argument<string>("path") { Description = "Policy files, a tenant file or a directory" };
        var command = new Command("diff", "Compare local policies with the server's: + only local, - only on the server, ~ different (exit 1 when they differ)") { path };
        command.SetAction(async (parse, ct) =>
        {
            using var files = ReadValid(parse.GetValue(path)!);
            if (files is null)
                return ExitCodes.Failed;
            using var api = Connect(parse);
            var (remote, refused) = await ListPoliciesAsync(api, ct);
            if (refused is not null)
                return Refused(refused);
            var local = files.Policies.ToDictionary(p => p.Parsed.Policy!.Id, p => p.Document, StringComparer.Ordinal);
            var differences = 0;
            foreach (var id in local.Keys.Union(remote.Keys).Order(StringComparer.Ordinal))
            {
                var inLocal = local.TryGetValue(id, out var mine);
                var inRemote = remote.TryGetValue(id, out var theirs);
                if (inLocal && !inRemote)
                    Console.WriteLine($"+ {id}");
                else if (!inLocal)
                    Console.WriteLine($"- {id}");
                else if (!SameBody(theirs, mine))
                    Console.WriteLine($"~ {id}: {string.Join(", ", ChangedMembers(theirs, mine))}");
                else
                    continue;
                differences++;
            }
            Console.Error.WriteLine($"{differences} difference(s)");
            return differences == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static PolicyFiles? ReadValid(string path)
    {
        var files = PolicyFiles.Read(path, out var unreadable);
        if (files is null)
        {
            Console.Error.WriteLine(unreadable);
            return null;
        }
        var problems = files.Problems.Select(p => $"{JsonFile.Place(p.File, p.Pointer)}: {p.Message}")
            .Concat(files.Policies.SelectMany(e => e.Parsed.Problems.Select(p => $"{JsonFile.Place(e.File, e.Pointer + p.Path)}: {p.Message}")))
            .ToList();
        var duplicates = files.Policies.Where(p => p.Parsed.IsValid).GroupBy(p => p.Parsed.Policy!.Id, StringComparer.Ordinal).Where(g => g.Count() > 1);
        problems.AddRange(duplicates.Select(g => $"policy '{g.Key}' is defined more than once: {string.Join(", ", g.Select(e => JsonFile.Place(e.File, e.Pointer)))}"));
        if (problems.Count == 0)
            return files;
        foreach (var problem in problems)
            Console.Error.WriteLine(problem);
        Console.Error.WriteLine($"{problems.Count} problem(s): nothing sent (see 'arbiter policy validate')");
        files.Dispose();
        return null;
    }

    private static async Task<(Dictionary<string, JsonElement> Policies, RemoteReply? Refused)> ListPoliciesAsync(RemoteApi api, CancellationToken ct)
    {
        var policies = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var page = await api.GetAsync($"{RemoteApi.AdminPrefix}/policies?limit=500" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)), ct);
            if (!page.Ok)
                return (policies, page);
            foreach (var item in page.Json!.Value.GetProperty("items").EnumerateArray())
                policies[item.GetProperty("id").GetString()!] = item.GetProperty("body");
            continuation = Str(page.Json.Value, "continuation");
        }
        while (!string.IsNullOrEmpty(continuation));
        return (policies, null);
    }

    /// <summary>Equal as JSON values (member order and formatting do not count); the server may keep an editor's <c>$schema</c>, so it does not count either.</summary>
    private static bool SameBody(JsonElement a, JsonElement b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    private static JsonNode? Normalize(JsonElement element)
    {
        var node = JsonNode.Parse(element.GetRawText());
        if (node is JsonObject o)
            o.Remove("$schema");
        return node;
    }

    private static IEnumerable<string> ChangedMembers(JsonElement remote, JsonElement local)
    {
        var a = Normalize(remote) as JsonObject ?? [];
        var b = Normalize(local) as JsonObject ?? [];
        foreach (var name in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
        {
            if (!JsonNode.DeepEquals(a[name], b[name]))
                yield return name;
        }
    }

    // ---- policy replay --------------------------------------------------------------------------------------------

    private static Command Replay()
    {
        var candidate = new Option<string>("--candidate") { Description = "The candidate policy set: files, a tenant file or a directory (it replaces the server's policies for the replay)", Required = true };
        var from = new Option<string>("--from") { Description = "Start of the period (ISO 8601)", Required = true };
        var to = new Option<string?>("--to") { Description = "End of the period (ISO 8601; default: now); at most 31 days after --from" };
        var agent = new Option<string?>("--agent") { Description = "Only decisions of this agent" };
        var subject = new Option<string?>("--subject") { Description = "Only decisions about this subject id" };
        var action = new Option<string?>("--action") { Description = "Only this action" };
        var resource = new Option<string?>("--resource") { Description = "Only this resource id" };
        var maxFlips = new Option<int>("--max-flips") { Description = "How many flips to list one by one (all are counted)", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print the server's report as JSON" };
        var command = new Command("replay", "Re-decide the recorded decisions of a period under a candidate policy set and list what would flip (nothing is deployed)")
        {
            candidate, from, to, agent, subject, action, resource, maxFlips, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryTime(parse.GetValue(from)!, "--from", out var start) || !TryTime(parse.GetValue(to) ?? DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), "--to", out var end))
                return ExitCodes.Error;
            using var files = ReadValid(parse.GetValue(candidate)!);
            if (files is null)
                return ExitCodes.Failed;
            var filters = new Dictionary<string, string>(StringComparer.Ordinal);
            void Filter(string name, string? value)
            {
                if (value is not null)
                    filters[name] = value;
            }
            Filter("agent", parse.GetValue(agent));
            Filter("subject", parse.GetValue(subject));
            Filter("action", parse.GetValue(action));
            Filter("resource", parse.GetValue(resource));
            var body = new JsonObject
            {
                ["from"] = start.ToString("O", CultureInfo.InvariantCulture),
                ["to"] = end.ToString("O", CultureInfo.InvariantCulture),
                ["replace"] = true,
                ["maxFlips"] = parse.GetValue(maxFlips),
                ["policies"] = new JsonArray([.. files.Policies.Select(p => JsonNode.Parse(p.Document.GetRawText()))]),
            };
            if (filters.Count > 0)
                body["filters"] = new JsonObject([.. filters.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))]);
            using var api = Connect(parse);
            Console.Error.WriteLine($"replaying {start:u} .. {end:u} under {files.Policies.Count} candidate policies...");
            var reply = await api.PostAsync($"{RemoteApi.AdminPrefix}/replay", JsonSerializer.SerializeToElement(body), ct);
            if (!reply.Ok)
                return Refused(reply);
            var report = reply.Json!.Value;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, RemoteJson.Indented));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{report.GetProperty("read").GetInt32()} decision(s) read, {report.GetProperty("flipped").GetInt32()} would flip: " +
                $"{report.GetProperty("permitToDeny").GetInt32()} permit -> deny, {report.GetProperty("denyToPermit").GetInt32()} deny -> permit" +
                (report.GetProperty("truncated").GetBoolean() ? " (stopped at the record limit)" : ""));
            foreach (var group in report.GetProperty("groups").EnumerateArray())
            {
                Console.WriteLine($"  {group.GetProperty("count").GetInt32(),7}  {group.GetProperty("change").GetString(),-15} agent {Str(group, "agentId") ?? "-"}  {Str(group, "action")} {Str(group, "resourceType")}/{Str(group, "resourceId")}  ({group.GetProperty("subjects").GetInt32()} subject(s))");
            }
            foreach (var flip in report.GetProperty("flips").EnumerateArray())
            {
                Console.WriteLine($"  {Str(flip, "time")} {Str(flip, "decisionId")} {Str(flip, "subjectType")}/{Str(flip, "subjectId")} via {Str(flip, "agentId") ?? "-"} {Str(flip, "action")} {Str(flip, "resourceType")}/{Str(flip, "resourceId")}");
                Console.WriteLine($"      was: {Str(flip, "beforeReason")}");
                Console.WriteLine($"      now: {Str(flip, "afterReason")}");
            }
            foreach (var note in report.GetProperty("notes").EnumerateArray())
                Console.Error.WriteLine($"note: {note.GetString()}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // ---- agents, decisions, governance, whatif --------------------------------------------------------------------

    private static Command AgentAction(string verb)
    {
        var id = new Argument<string>("id") { Description = "The agent id" };
        var command = new Command(verb, verb == "suspend" ? "Suspend an agent now: every decision for it is a deny until resumed" : "Resume a suspended agent") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var api = Connect(parse);
            var reply = await api.PostAsync($"{RemoteApi.AdminPrefix}/agents/{Uri.EscapeDataString(parse.GetValue(id)!)}/{verb}", null, ct);
            if (!reply.Ok)
                return Refused(reply);
            Console.WriteLine($"agent '{parse.GetValue(id)}' {(verb == "suspend" ? "suspended" : "resumed")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Query()
    {
        var from = new Option<string?>("--from") { Description = "Start (ISO 8601; default: a day ago)" };
        var to = new Option<string?>("--to") { Description = "End (ISO 8601; default: now)" };
        var agent = new Option<string?>("--agent") { Description = "The acting agent" };
        var subject = new Option<string?>("--subject") { Description = "The subject (user id, or agent id when it acts alone)" };
        var resourceType = new Option<string?>("--resource-type") { Description = "tool, agent, dataset, ..." };
        var resource = new Option<string?>("--resource") { Description = "The resource id" };
        var action = new Option<string?>("--action") { Description = "The action" };
        var decision = new Option<string?>("--decision") { Description = "permit or deny" };
        var limit = new Option<int>("--limit") { Description = "At most this many records, newest first (pages are followed)", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "One JSON record per line" };
        var command = new Command("query", "Query the decision log, newest first") { from, to, agent, subject, resourceType, resource, action, decision, limit, json };
        command.SetAction(async (parse, ct) =>
        {
            var query = new List<string>();
            void Add(string name, string? value)
            {
                if (value is not null)
                    query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
            Add("from", parse.GetValue(from));
            Add("to", parse.GetValue(to));
            Add("agent", parse.GetValue(agent));
            Add("subject", parse.GetValue(subject));
            Add("resourceType", parse.GetValue(resourceType));
            Add("resource", parse.GetValue(resource));
            Add("action", parse.GetValue(action));
            Add("decision", parse.GetValue(decision));
            var wanted = Math.Max(1, parse.GetValue(limit));
            using var api = Connect(parse);
            var shown = 0;
            string? continuation = null;
            do
            {
                var pageSize = Math.Min(1000, wanted - shown);
                var reply = await api.GetAsync($"{RemoteApi.AdminPrefix}/decisions?{string.Join('&', query.Append($"pageSize={pageSize}"))}" +
                    (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)), ct);
                if (!reply.Ok)
                    return Refused(reply);
                foreach (var r in reply.Json!.Value.GetProperty("items").EnumerateArray())
                {
                    shown++;
                    Console.WriteLine(parse.GetValue(json)
                        ? r.GetRawText()
                        : $"{Str(r, "time")}  {(r.GetProperty("allowed").GetBoolean() ? "permit" : "deny  ")}  {Str(r, "subjectType")}/{Str(r, "subjectId")} via {Str(r, "agentId") ?? "-"}  {Str(r, "action")} {Str(r, "resourceType")}/{Str(r, "resourceId")}  {Str(r, "reasonAdmin")}");
                }
                continuation = Str(reply.Json.Value, "continuation");
            }
            while (continuation is not null && shown < wanted);
            Console.Error.WriteLine($"{shown} decision(s){(continuation is not null ? " (more: raise --limit)" : "")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Review(string verb)
    {
        var id = new Argument<string>("task") { Description = "The review task id (see 'governance tasks')" };
        var comment = new Option<string?>("--comment") { Description = "Why (kept with the task)" };
        var command = new Command(verb, $"{char.ToUpperInvariant(verb[0])}{verb[1..]} a review task on the server") { id, comment };
        command.SetAction(async (parse, ct) =>
        {
            using var api = Connect(parse);
            object? body = parse.GetValue(comment) is { } c ? new { comment = c } : null;
            var reply = await api.PostAsync($"{RemoteApi.AdminPrefix}/governance/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}/{verb}", body, ct);
            if (!reply.Ok)
                return Refused(reply);
            Console.WriteLine($"task '{parse.GetValue(id)}': {Str(reply.Json ?? default, "state") ?? verb}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command WhatIf()
    {
        var body = new Option<string>("--body") { Description = "The what-if body: {\"policies\":[...], \"remove\":[ids], \"evaluations\":[AuthZEN requests]} (README: what-if)", Required = true };
        var command = new Command("whatif", "Compare requests under the server's policies and a proposal (nothing is saved); exit 1 when any answer changes") { body };
        command.SetAction(async (parse, ct) =>
        {
            using var document = JsonFile.TryRead(parse.GetValue(body)!, out var unreadable, out var invalid);
            if (document is null)
            {
                Console.Error.WriteLine(unreadable ?? $"{JsonFile.Place(parse.GetValue(body)!, invalid!.Value.Pointer)}: {invalid.Value.Message}");
                return ExitCodes.Error;
            }
            using var api = Connect(parse);
            var reply = await api.PostAsync($"{RemoteApi.AdminPrefix}/whatif", document.RootElement, ct);
            if (!reply.Ok)
                return Refused(reply);
            var changed = 0;
            foreach (var item in reply.Json!.Value.GetProperty("results").EnumerateArray())
            {
                var was = item.GetProperty("current").GetProperty("decision").GetBoolean();
                var now = item.GetProperty("proposed").GetProperty("decision").GetBoolean();
                changed += item.GetProperty("changed").GetBoolean() ? 1 : 0;
                Console.WriteLine($"#{item.GetProperty("index").GetInt32()}: {(was ? "permit" : "deny")} -> {(now ? "permit" : "deny")}{(was != now ? "  CHANGED" : "")}");
            }
            Console.Error.WriteLine($"{changed} answer(s) change");
            return changed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static bool TryTime(string text, string option, out DateTimeOffset value)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
            return true;
        Console.Error.WriteLine($"{option}: '{text}' is not an ISO 8601 timestamp (e.g. 2026-12-01T09:00:00Z)");
        return false;
    }
}
