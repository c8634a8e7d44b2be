using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Cli;

/// <summary>
/// <c>arbiter policy test DIR [--policies PATH]</c>: runs every policy test file (<c>*.test.json</c>, format
/// <c>arbiter-policy-test/1</c>, schemas/policy-test.schema.json) under DIR against the policies under DIR (or
/// <c>--policies</c>) through the engine itself, each case at its own <c>now</c>. A failed case prints what was expected
/// and what the engine answered, member by member, and the engine's explanation. Exit 0 when every case passes, 1 when a
/// case fails or a policy or test file has a problem, 2 when a file cannot be read. Builds no host.
/// </summary>
internal static class PolicyTest
{
    public const string Format = "arbiter-policy-test/1";

    private static readonly HashSet<string> FileMembers = new(StringComparer.Ordinal) { "$schema", "format", "description", "tenant", "fixtures", "now", "cases" };
    private static readonly HashSet<string> CaseMembers = new(StringComparer.Ordinal) { "name", "now", "request", "expect" };
    private static readonly HashSet<string> ExpectMembers = new(StringComparer.Ordinal) { "decision", "policies", "obligations", "reason" };

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A directory with policies and *.test.json files, or one test file" };
        var policies = new Option<string?>("--policies") { Description = "Where the policies under test are (a file, tenant file or directory; default: the directory given)" };
        var command = new Command("test", "Run policy test files (*.test.json) against the policies, without a server") { path, policies };
        command.SetAction(parse => Run(parse.GetValue(path)!, parse.GetValue(policies)));
        return command;
    }

    private static int Run(string path, string? policiesPath)
    {
        string[] tests;
        if (Directory.Exists(path))
            tests = [.. Directory.GetFiles(path, "*" + PolicyFiles.TestFileSuffix, SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
        else if (File.Exists(path))
            tests = [path];
        else
        {
            Console.Error.WriteLine($"cannot read {path}: no such file or directory");
            return ExitCodes.Error;
        }
        if (tests.Length == 0)
        {
            Console.Error.WriteLine($"cannot read {path}: no *{PolicyFiles.TestFileSuffix} files in the directory");
            return ExitCodes.Error;
        }

        policiesPath ??= Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        using var policies = PolicyFiles.Read(policiesPath, out var unreadable);
        if (policies is null)
        {
            Console.Error.WriteLine(unreadable);
            return ExitCodes.Error;
        }
        var invalid = policies.Policies.Where(p => !p.Parsed.IsValid).ToList();
        if (invalid.Count > 0 || policies.Problems.Count > 0)
        {
            foreach (var p in policies.Problems)
                Console.WriteLine($"{JsonFile.Place(p.File, p.Pointer)}: {p.Message}");
            foreach (var entry in invalid)
            {
                foreach (var problem in entry.Parsed.Problems)
                    Console.WriteLine($"{JsonFile.Place(entry.File, entry.Pointer + problem.Path)}: {problem.Message}");
            }
            Console.Error.WriteLine($"the policies under {policiesPath} have problems (see 'arbiter policy validate'); no test ran");
            return ExitCodes.Failed;
        }
        var baseChanges = policies.Policies.Select(p => new SourceChange(SourceKinds.Policy, p.Parsed.Policy!.Id, p.Document.Clone()))
            .Concat(policies.Directory).ToList();

        var totals = new Totals();
        foreach (var test in tests)
        {
            var code = RunFile(test, baseChanges, totals);
            if (code == ExitCodes.Error)
                return code;
        }
        Console.Error.WriteLine($"{totals.Cases} case(s) in {tests.Length} file(s): {totals.Passed} passed, {totals.Failed} failed" +
            (totals.FileProblems > 0 ? $", {totals.FileProblems} problem(s) in test files" : ""));
        return totals.Failed == 0 && totals.FileProblems == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private sealed class Totals
    {
        public int Cases;
        public int Passed;
        public int Failed;
        public int FileProblems;
    }

    private static int RunFile(string file, List<SourceChange> baseChanges, Totals totals)
    {
        using var document = JsonFile.TryRead(file, out var unreadable, out var invalidJson);
        if (unreadable is not null)
        {
            Console.Error.WriteLine(unreadable);
            return ExitCodes.Error;
        }
        Console.WriteLine(file);
        if (document is null)
            return Problem(file, invalidJson!.Value.Pointer, invalidJson.Value.Message, totals);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return Problem(file, "", "a policy test file must be a JSON object", totals);
        foreach (var member in root.EnumerateObject().Where(m => !FileMembers.Contains(m.Name)))
            return Problem(file, "/" + member.Name, $"unknown member '{member.Name}' (expected one of: {string.Join(", ", FileMembers)})", totals);
        if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            return Problem(file, "/format", $"'format' must be '{Format}'", totals);
        if (!TryTime(root, "now", out var fileNow))
            return Problem(file, "/now", "'now' must be an ISO 8601 timestamp, e.g. 2026-12-01T09:00:00Z", totals);
        if (!root.TryGetProperty("cases", out var cases) || cases.ValueKind != JsonValueKind.Array || cases.GetArrayLength() == 0)
            return Problem(file, "/cases", "'cases' must be a non-empty array", totals);

        var changes = new List<SourceChange>(baseChanges);
        using var tenantDocument = ReadTenant(file, root, changes, out var tenantProblem, out unreadable);
        if (unreadable is not null)
        {
            Console.Error.WriteLine(unreadable);
            return ExitCodes.Error;
        }
        if (tenantProblem is not null)
            return Problem(file, tenantProblem.Value.Pointer, tenantProblem.Value.Message, totals);
        if (root.TryGetProperty("fixtures", out var fixtures))
        {
            var problems = new List<Engine.Policies.Problem>();
            var read = TenantFile.Read(fixtures, problems);
            if (problems.Count > 0)
                return Problem(file, "/fixtures" + problems[0].Path, problems[0].Message, totals);
            if (read.Any(c => c.Kind == SourceKinds.Policy))
                return Problem(file, "/fixtures/policies", "fixtures hold directory documents; the policies under test come from the policy files", totals);
            changes.AddRange(read);
        }

        var state = TenantState.Empty.Apply(changes);
        foreach (var (id, rejected) in state.Rejected)
            Console.WriteLine($"  note: {id} left out: {string.Join("; ", rejected.Select(p => $"{p.Path} {p.Message}"))}");
        var clock = new SettableClock(fileNow ?? TimeProvider.System.GetUtcNow());
        var snapshot = PolicySnapshot.Build("policy-test", state, 1, clock);

        var index = 0;
        foreach (var testCase in cases.EnumerateArray())
        {
            var pointer = $"/cases/{index++}";
            totals.Cases++;
            var failure = RunCase(testCase, pointer, snapshot, clock, fileNow, out var name, out var lines);
            if (failure is null)
            {
                totals.Passed++;
                Console.WriteLine($"  PASS {JsonFile.Place(Path.GetFileName(file), pointer)} {name}");
                continue;
            }
            totals.Failed++;
            Console.WriteLine($"  FAIL {JsonFile.Place(Path.GetFileName(file), pointer)} {name}");
            foreach (var line in lines)
                Console.WriteLine($"       {line}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Runs one case; null when it passes, else the reason with the diff and explanation in <paramref name="lines"/>.</summary>
    private static string? RunCase(JsonElement testCase, string pointer, PolicySnapshot snapshot, SettableClock clock, DateTimeOffset? fileNow, out string name, out List<string> lines)
    {
        lines = [];
        name = testCase.ValueKind == JsonValueKind.Object && testCase.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? $"\"{n.GetString()}\"" : "";
        if (testCase.ValueKind != JsonValueKind.Object)
            return Fail(lines, $"{pointer}: a case must be an object {{name, request, expect}}");
        foreach (var member in testCase.EnumerateObject().Where(m => !CaseMembers.Contains(m.Name)))
            return Fail(lines, $"{pointer}/{member.Name}: unknown member '{member.Name}' (expected one of: {string.Join(", ", CaseMembers)})");
        if (!TryTime(testCase, "now", out var caseNow))
            return Fail(lines, $"{pointer}/now: 'now' must be an ISO 8601 timestamp");
        if (!testCase.TryGetProperty("request", out var requestElement))
            return Fail(lines, $"{pointer}/request: 'request' is required (an AuthZEN evaluation request)");
        var request = RequestReader.Read(requestElement, default, out var requestProblem);
        if (request is null)
            return Fail(lines, $"{pointer}/request{requestProblem!.Path}: {requestProblem.Message}");
        if (!testCase.TryGetProperty("expect", out var expect) || expect.ValueKind != JsonValueKind.Object)
            return Fail(lines, $"{pointer}/expect: 'expect' is required: {{\"decision\": true|false, ...}}");
        foreach (var member in expect.EnumerateObject().Where(m => !ExpectMembers.Contains(m.Name)))
            return Fail(lines, $"{pointer}/expect/{member.Name}: unknown member '{member.Name}' (expected one of: {string.Join(", ", ExpectMembers)})");
        if (!expect.TryGetProperty("decision", out var expectedDecision) || expectedDecision.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            return Fail(lines, $"{pointer}/expect/decision: 'decision' is required: true or false");

        clock.Now = caseNow ?? fileNow ?? clock.Now;
        var decision = snapshot.Evaluate(request, explain: true);
        var failed = false;
        var diff = new List<string>();
        if (decision.Allowed != expectedDecision.GetBoolean())
        {
            failed = true;
            diff.Add($"decision     expected {Word(expectedDecision.GetBoolean())}, actual {Word(decision.Allowed)}");
        }
        if (expect.TryGetProperty("policies", out var expectedPolicies))
        {
            if (!TryStrings(expectedPolicies, out var wanted))
                return Fail(lines, $"{pointer}/expect/policies: must be an array of policy ids");
            var actual = decision.MatchedPolicies.Order(StringComparer.Ordinal).ToArray();
            if (!wanted.Order(StringComparer.Ordinal).SequenceEqual(actual, StringComparer.Ordinal))
            {
                failed = true;
                diff.Add($"policies     expected {Json(wanted.Order(StringComparer.Ordinal))}, actual {Json(actual)}");
            }
        }
        if (expect.TryGetProperty("obligations", out var expectedObligations))
        {
            if (expectedObligations.ValueKind != JsonValueKind.Array || expectedObligations.EnumerateArray().Any(o => o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String))
                return Fail(lines, $"{pointer}/expect/obligations: must be an array of {{id, type?, properties?}}");
            var mismatch = ObligationMismatch(expectedObligations, decision.Obligations);
            if (mismatch is not null)
            {
                failed = true;
                diff.Add($"obligations  {mismatch}");
            }
        }
        if (expect.TryGetProperty("reason", out var reason))
        {
            if (reason.ValueKind != JsonValueKind.String)
                return Fail(lines, $"{pointer}/expect/reason: must be a string (a part of the admin reason)");
            if (!decision.ReasonAdmin.Contains(reason.GetString()!, StringComparison.Ordinal))
            {
                failed = true;
                diff.Add($"reason       expected to contain \"{reason.GetString()}\"");
            }
        }
        if (!failed)
            return null;
        lines.AddRange(diff);
        lines.Add($"explanation  {Word(decision.Allowed)} in {decision.Mode} mode at {clock.Now.ToString("u", CultureInfo.InvariantCulture)}: {decision.ReasonAdmin}");
        lines.Add($"             matched {Json(decision.MatchedPolicies)}; obligations {Json(decision.Obligations.Select(o => $"{o.Id} ({o.Type})"))}");
        foreach (var leg in decision.Legs)
            lines.Add($"             {leg.Name}: {(leg.Satisfied ? "satisfied" : "not satisfied")}; permits {Json(leg.Permits)}; forbids {Json(leg.Forbids)}" +
                (leg.Notes.Count > 0 ? "; " + string.Join("; ", leg.Notes) : ""));
        return "failed";
    }

    private static string? ObligationMismatch(JsonElement expected, IReadOnlyList<Obligation> actual)
    {
        var actualText = Json(actual.Select(o => $"{o.Id} ({o.Type})"));
        var wanted = expected.EnumerateArray().ToList();
        if (wanted.Count != actual.Count)
            return $"expected {Json(wanted.Select(w => w.GetProperty("id").GetString()!))}, actual {actualText}";
        foreach (var w in wanted)
        {
            var id = w.GetProperty("id").GetString()!;
            var match = actual.FirstOrDefault(o => o.Id == id);
            if (match is null)
                return $"expected '{id}', actual {actualText}";
            if (w.TryGetProperty("type", out var type) && type.GetString() != match.Type)
                return $"'{id}' expected type '{type}', actual '{match.Type}'";
            if (w.TryGetProperty("properties", out var properties)
                && !JsonNode.DeepEquals(JsonNode.Parse(properties.GetRawText()), match.Properties.ValueKind == JsonValueKind.Undefined ? null : JsonNode.Parse(match.Properties.GetRawText())))
                return $"'{id}' expected properties {properties.GetRawText()}, actual {(match.Properties.ValueKind == JsonValueKind.Undefined ? "none" : match.Properties.GetRawText())}";
        }
        return null;
    }

    /// <summary>The test file's <c>tenant</c> (a tenant file path relative to it): its directory documents join the facts.</summary>
    private static JsonDocument? ReadTenant(string file, JsonElement root, List<SourceChange> changes, out (string Pointer, string Message)? problem, out string? unreadable)
    {
        problem = null;
        unreadable = null;
        if (!root.TryGetProperty("tenant", out var tenant))
            return null;
        if (tenant.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(tenant.GetString()))
        {
            problem = ("/tenant", "'tenant' must be the path of a tenant file, relative to the test file");
            return null;
        }
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, tenant.GetString()!);
        var document = JsonFile.TryRead(path, out unreadable, out var invalid);
        if (document is null)
        {
            if (invalid is not null)
                problem = ("/tenant", $"{JsonFile.Place(path, invalid.Value.Pointer)}: {invalid.Value.Message}");
            return null;
        }
        var problems = new List<Engine.Policies.Problem>();
        changes.AddRange(TenantFile.Read(document.RootElement, problems).Where(c => c.Kind != SourceKinds.Policy));
        if (problems.Count > 0)
            problem = ("/tenant", $"{JsonFile.Place(path, problems[0].Path)}: {problems[0].Message}");
        return document;
    }

    private static int Problem(string file, string pointer, string message, Totals totals)
    {
        totals.FileProblems++;
        Console.WriteLine($"  {JsonFile.Place(file, pointer)}: {message}");
        return ExitCodes.Ok;
    }

    private static string Fail(List<string> lines, string line)
    {
        lines.Add(line);
        return line;
    }

    private static bool TryTime(JsonElement element, string name, out DateTimeOffset? value)
    {
        value = null;
        if (!element.TryGetProperty(name, out var raw))
            return true;
        if (raw.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(raw.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }
        return false;
    }

    private static bool TryStrings(JsonElement element, out List<string> values)
    {
        values = [];
        if (element.ValueKind != JsonValueKind.Array)
            return false;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                return false;
            values.Add(item.GetString()!);
        }
        return true;
    }

    private static string Word(bool allowed) => allowed ? "permit" : "deny";

    private static string Json(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(v => $"\"{v}\"")) + "]";
}
