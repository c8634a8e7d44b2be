using System.Text.Json;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Cli;

/// <summary>One policy document found in a file: where it is, its JSON, and what the engine's parser made of it.</summary>
internal sealed record PolicyEntry(string File, string Pointer, JsonElement Document, PolicyParseResult Parsed);

/// <summary>A file that is not JSON or not the shape expected: where and what (reported like a policy problem).</summary>
internal sealed record FileProblem(string File, string Pointer, string Message);

/// <summary>
/// The policies (and directory documents) under a path, read the way the CLI's policy commands read them: a file or a
/// directory of <c>*.json</c> files (recursively, in ordinal order), where a file is a tenant file when it has a
/// <c>format</c> of arbiter-tenant/1 or a section that is an array (a policy's own <c>agents</c> is an object) (arbiter-tenant/1: its policies count, its users, groups, agents and
/// resources are the directory), and otherwise one policy document. Policy test files (<c>*.test.json</c>) are not
/// policies and are skipped. The documents stay alive as long as this object (it owns the parsed JSON).
/// </summary>
internal sealed class PolicyFiles : IDisposable
{
    public const string TestFileSuffix = ".test.json";

    private readonly List<JsonDocument> _documents = [];

    private PolicyFiles()
    {
    }

    public List<PolicyEntry> Policies { get; } = [];

    public List<FileProblem> Problems { get; } = [];

    /// <summary>The directory documents found in tenant files (before validation: the engine reads them as the store would).</summary>
    public List<SourceChange> Directory { get; } = [];

    /// <summary>The files read, for a summary line.</summary>
    public int FileCount { get; private set; }

    /// <summary>Reads <paramref name="path"/>; null with <paramref name="unreadable"/> (one line) when a file cannot be read at all.</summary>
    public static PolicyFiles? Read(string path, out string? unreadable)
    {
        unreadable = null;
        string[] files;
        if (System.IO.Directory.Exists(path))
        {
            files = [.. System.IO.Directory.GetFiles(path, "*.json", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(TestFileSuffix, StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)];
            if (files.Length == 0)
            {
                unreadable = $"cannot read {path}: no *.json files in the directory";
                return null;
            }
        }
        else
        {
            files = [path];
        }

        var result = new PolicyFiles();
        foreach (var file in files)
        {
            if (!result.Add(file, out unreadable))
            {
                result.Dispose();
                return null;
            }
        }
        return result;
    }

    /// <summary>Adds one file; false with <paramref name="unreadable"/> when it cannot be read.</summary>
    public bool Add(string file, out string? unreadable)
    {
        var document = JsonFile.TryRead(file, out unreadable, out var invalid);
        if (unreadable is not null)
            return false;
        FileCount++;
        if (document is null)
        {
            Problems.Add(new(file, invalid!.Value.Pointer, invalid.Value.Message));
            return true;
        }
        _documents.Add(document);
        var root = document.RootElement;
        if (IsTenantFile(root))
        {
            var problems = new List<Problem>();
            foreach (var change in TenantFile.Read(root, problems))
            {
                if (change.Kind != SourceKinds.Policy)
                    Directory.Add(change);
            }
            foreach (var problem in problems.Where(p => !p.Path.StartsWith("/policies", StringComparison.Ordinal)))
                Problems.Add(new(file, problem.Path, problem.Message));
            if (root.TryGetProperty("policies", out var policies))
            {
                if (policies.ValueKind != JsonValueKind.Array)
                {
                    Problems.Add(new(file, "/policies", "must be an array"));
                    return true;
                }
                var i = 0;
                foreach (var policy in policies.EnumerateArray())
                {
                    var pointer = $"/policies/{i++}";
                    Policies.Add(new(file, pointer, policy, PolicyParser.Parse(policy)));
                }
            }
        }
        else
        {
            Policies.Add(new(file, "", root, PolicyParser.Parse(root)));
        }
        return true;
    }

    /// <summary>The directory of the tenant files read (null when none had a directory section).</summary>
    public TenantState? DirectoryState() => Directory.Count == 0 ? null : TenantState.Empty.Apply(Directory);

    public void Dispose()
    {
        foreach (var document in _documents)
            document.Dispose();
        _documents.Clear();
    }

    private static bool IsTenantFile(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && (root.TryGetProperty("policies", out _) || (root.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == TenantFile.Format)
            || TenantFile.Sections.Any(s => root.TryGetProperty(s.Section, out var section) && section.ValueKind == JsonValueKind.Array));
}
