using System.CommandLine;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Cli;

/// <summary>
/// <c>arbiter policy validate FILE|DIR [--tenant FILE] [--action NAME]... [--warnings-as-errors]</c> (alias <c>check</c>):
/// validates policy documents offline as a write to the store would (strict JSON, <see cref="PolicyParser"/>), type-checks
/// each condition, and warns about what matches nothing (<see cref="PolicyWarnings"/>). Every problem is one line
/// <c>file#/pointer: message</c>. Exit 0 when every policy is valid (warnings allowed unless --warnings-as-errors), 1 when
/// any has a problem, 2 when a file cannot be read. Builds no host: nothing but the engine is needed.
/// </summary>
internal static class PolicyValidate
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A policy JSON file, a tenant file (its 'policies'), or a directory of *.json files (*.test.json skipped)" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant file or a 'tenant export' whose users, groups, agents and resources the policies should name (warnings for names it lacks)" };
        var actions = new Option<string[]>("--action") { Description = "A custom action your enforcement points send (repeatable); other unknown actions are warnings", AllowMultipleArgumentsPerToken = true };
        var strict = new Option<bool>("--warnings-as-errors") { Description = "Exit 1 when there is any warning (for CI)" };
        var command = new Command("validate", "Validate policies, type-check their conditions and warn about references that match nothing, without a server")
        {
            path, tenant, actions, strict,
        };
        command.Aliases.Add("check");
        command.SetAction(parse => Run(parse.GetValue(path)!, parse.GetValue(tenant), parse.GetValue(actions) ?? [], parse.GetValue(strict)));
        return command;
    }

    private static int Run(string path, string? tenantPath, string[] extraActions, bool strict)
    {
        using var files = PolicyFiles.Read(path, out var unreadable);
        if (files is null)
        {
            Console.Error.WriteLine(unreadable);
            return ExitCodes.Error;
        }
        if (tenantPath is not null && !files.Add(tenantPath, out unreadable))
        {
            Console.Error.WriteLine(unreadable);
            return ExitCodes.Error;
        }
        // The --tenant file supplies the directory; its own policies are not the ones being validated.
        var entries = tenantPath is null ? files.Policies : [.. files.Policies.Where(p => p.File != tenantPath)];
        var directory = files.DirectoryState();
        var warnings = new PolicyWarnings(extraActions, directory);
        var valid = entries.Where(e => e.Parsed.IsValid).Select(e => e.Parsed.Policy!).ToList();

        foreach (var problem in files.Problems)
        {
            Console.WriteLine($"{problem.File}: not a valid document");
            Console.WriteLine($"  {JsonFile.Place(problem.File, problem.Pointer)}: {problem.Message}");
        }
        if (directory is not null)
        {
            foreach (var (document, rejected) in directory.Rejected)
                Console.WriteLine($"note: directory document {document} left out: {string.Join("; ", rejected.Select(p => $"{p.Path} {p.Message}"))}");
        }

        var withProblems = files.Problems.Count;
        var warningCount = 0;
        foreach (var entry in entries)
        {
            var lines = new List<string>();
            foreach (var problem in entry.Parsed.Problems)
                lines.Add($"  {JsonFile.Place(entry.File, entry.Pointer + problem.Path)}: {problem.Message}");
            var found = entry.Parsed.IsValid ? warnings.Of(entry.Document, entry.Parsed.Policy!, valid) : [];
            foreach (var warning in found)
                lines.Add($"  {JsonFile.Place(entry.File, entry.Pointer + warning.Path)}: warning: {warning.Message}");
            var summary = entry.Parsed.Problems.Count == 0 ? "" : $"; {entry.Parsed.Problems.Count} problem(s)";
            if (found.Count > 0)
                summary += $"; {found.Count} warning(s)";
            Console.WriteLine($"{Id(entry)}: {Verdict(entry)}{summary}");
            foreach (var line in lines)
                Console.WriteLine(line);
            withProblems += entry.Parsed.IsValid ? 0 : 1;
            warningCount += found.Count;
        }
        Console.Error.WriteLine($"{entries.Count} policy document(s) checked, {withProblems} with problems, {warningCount} warning(s)");
        return withProblems > 0 || (strict && warningCount > 0) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static string Id(PolicyEntry entry) =>
        entry.Parsed.Policy?.Id
        ?? (entry.Document.ValueKind == System.Text.Json.JsonValueKind.Object && entry.Document.TryGetProperty("id", out var raw) && raw.ValueKind == System.Text.Json.JsonValueKind.String ? raw.GetString() : null)
        ?? $"(no id, {JsonFile.Place(entry.File, entry.Pointer)})";

    private static string Verdict(PolicyEntry entry)
    {
        var d = entry.Document;
        var condition = d.ValueKind == System.Text.Json.JsonValueKind.Object && d.TryGetProperty("condition", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String ? c.GetString() : null;
        return condition is null
            ? "no condition"
            : ConditionCompiler.TryCompile(condition, out var program) is null ? $"condition ok ({program!.Type.Name})" : "condition does not compile";
    }
}
