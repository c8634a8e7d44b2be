using System.CommandLine;
using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Cli;

/// <summary>
/// <c>arbiter policy check FILE|DIR</c>: validates policy documents offline, as a write to the store would (strict JSON,
/// <see cref="PolicyParser"/>), and type-checks each condition against the declared variables. Exit 0 when every policy
/// is valid, 1 when any has a problem, 2 when a file cannot be read. Builds no host: nothing but the engine is needed.
/// </summary>
internal static class PolicyCheck
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A policy JSON file, a tenant file (its 'policies'), or a directory of *.json files" };
        var command = new Command("check", "Validate policies and type-check their conditions, without a server") { path };
        command.SetAction(parse => Run(parse.GetValue(path)!));
        return command;
    }

    private static int Run(string path)
    {
        var files = Directory.Exists(path)
            ? Directory.GetFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
            : [path];
        if (files.Length == 0)
        {
            Console.Error.WriteLine($"cannot read {path}: no *.json files in the directory");
            return 2;
        }
        var checkedCount = 0;
        var withProblems = 0;
        foreach (var file in files)
        {
            using var document = JsonFile.TryRead(file, out var unreadable, out var invalid);
            if (unreadable is not null)
            {
                Console.Error.WriteLine(unreadable);
                return 2;
            }
            if (document is null)
            {
                Console.WriteLine($"{file}: not a valid JSON document");
                Console.WriteLine($"  {JsonFile.Place(file, invalid!.Value.Pointer)}: {invalid.Value.Message}");
                withProblems++;
                continue;
            }
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("policies", out var policies))
            {
                if (policies.ValueKind != JsonValueKind.Array)
                {
                    Console.WriteLine($"{file}: not a tenant file");
                    Console.WriteLine($"  {JsonFile.Place(file, "/policies")}: must be an array");
                    withProblems++;
                    continue;
                }
                var i = 0;
                foreach (var policy in policies.EnumerateArray())
                {
                    checkedCount++;
                    withProblems += Check(file, $"/policies/{i++}", policy) ? 0 : 1;
                }
            }
            else
            {
                checkedCount++;
                withProblems += Check(file, "", root) ? 0 : 1;
            }
        }
        Console.Error.WriteLine($"{checkedCount} policy document(s) checked, {withProblems} with problems");
        return withProblems == 0 ? 0 : 1;
    }

    /// <summary>Prints one policy's line (its id and its condition's type) and its problems; true when it has none.</summary>
    private static bool Check(string file, string pointer, JsonElement element)
    {
        var parsed = PolicyParser.Parse(element);
        var id = parsed.Policy?.Id
            ?? (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var raw) && raw.ValueKind == JsonValueKind.String ? raw.GetString() : null)
            ?? $"(no id, {JsonFile.Place(file, pointer)})";
        var condition = element.ValueKind == JsonValueKind.Object && element.TryGetProperty("condition", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var verdict = condition is null
            ? "no condition"
            : ConditionCompiler.TryCompile(condition, out var program) is null ? $"condition ok ({program!.Type.Name})" : "condition does not compile";
        var problems = parsed.Problems;
        Console.WriteLine(problems.Count == 0 ? $"{id}: {verdict}" : $"{id}: {verdict}; {problems.Count} problem(s)");
        foreach (var problem in problems)
            Console.WriteLine($"  {JsonFile.Place(file, pointer + problem.Path)}: {problem.Message}");
        return parsed.IsValid;
    }
}
