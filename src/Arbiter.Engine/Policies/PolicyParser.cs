using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Arbiter.Engine.Policies;

/// <summary>A problem in a policy document: where (JSON Pointer) and what.</summary>
public sealed record Problem(string Path, string Message);

public sealed record PolicyParseResult(Policy? Policy, IReadOnlyList<Problem> Problems)
{
    public bool IsValid => Policy is not null && Problems.Count == 0;
}

/// <summary>
/// Turns a policy JSON document into a <see cref="Policy"/>, listing every problem (path + message) instead of
/// stopping at the first. The JSON Schema in schemas/policy.schema.json describes the same shape for editors.
/// </summary>
public static partial class PolicyParser
{
    // "$schema" names the JSON Schema an editor validates the document with (schemas/policy.schema.json); the engine ignores it.
    private static readonly FrozenSet<string> TopLevel = FrozenSet.ToFrozenSet(
        ["$schema", "id", "description", "effect", "status", "modes", "subjects", "agents", "actions", "resources", "condition",
         "notBefore", "notAfter", "obligations", "metadata"], StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex IdPattern();

    /// <param name="root">The policy document.</param>
    /// <param name="stored">
    /// The policy is already stored (a snapshot is loading it): a condition that does not compile under today's rules
    /// does not drop the policy — that would silently lift a forbid — but is kept, and the policy fails closed with the
    /// reason when it is reached. Writes and validation pass false and refuse it.
    /// </param>
    public static PolicyParseResult Parse(JsonElement root, bool stored = false)
    {
        var problems = new List<Problem>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new("", "a policy must be a JSON object"));
            return new(null, problems);
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!TopLevel.Contains(property.Name))
                problems.Add(new("/" + property.Name, $"unknown member '{property.Name}'"));
        }

        var id = RequiredString(root, "id", "", problems);
        if (id is not null && !IdPattern().IsMatch(id))
            problems.Add(new("/id", "id must be 1-128 characters: letters, digits and . _ : - (starting with a letter or digit)"));

        var effect = Enum(root, "effect", "", problems, required: true, ["permit", "forbid"]) switch
        {
            "forbid" => Effect.Forbid,
            _ => Effect.Permit,
        };
        var status = Enum(root, "status", "", problems, required: false, ["active", "disabled", "shadow"]) switch
        {
            "disabled" => PolicyStatus.Disabled,
            "shadow" => PolicyStatus.Shadow,
            _ => PolicyStatus.Active,
        };

        var modes = ParseModes(root, problems);
        var subjects = root.TryGetProperty("subjects", out var s) ? ParseSubjects(s, problems) : null;
        var agents = root.TryGetProperty("agents", out var a) ? ParseAgents(a, problems) : null;
        var actions = StringSet(root, "actions", "", problems, required: true);
        var resources = root.TryGetProperty("resources", out var r) ? ParseResources(r, problems) : null;
        var condition = OptionalString(root, "condition", "", problems);
        var notBefore = Timestamp(root, "notBefore", problems);
        var notAfter = Timestamp(root, "notAfter", problems);
        var obligations = root.TryGetProperty("obligations", out var o) ? ParseObligations(o, problems) : [];
        var description = OptionalString(root, "description", "", problems);

        if (subjects is null && agents is null)
            problems.Add(new("", "a policy needs 'subjects' (a user entitlement) or 'agents' (a grant to agents), or both"));
        if (actions is { Count: 0 })
            problems.Add(new("/actions", "at least one action is required"));
        if (actions is not null && actions.Any(string.IsNullOrWhiteSpace))
            problems.Add(new("/actions", "action names must not be empty"));

        if (actions is not null && actions.Contains(WellKnownActions.AgentInvoke))
        {
            if (subjects is null)
                problems.Add(new("/subjects", "'agent.invoke' says which users may reach an agent: 'subjects' is required"));
            if (agents is null)
                problems.Add(new("/agents", "'agent.invoke' needs 'agents': the agents the subjects may reach"));
            if (resources is not null)
                problems.Add(new("/resources", "'agent.invoke' targets the agents named in 'agents'; 'resources' is not allowed"));
            if (modes.HasFlag(Modes.AgentOnly) || modes.HasFlag(Modes.Direct))
                problems.Add(new("/modes", "'agent.invoke' is a principal-context action; 'modes' may only be ['principal']"));
        }

        if (effect == Effect.Permit && subjects is not null && modes.HasFlag(Modes.AgentOnly))
            problems.Add(new("/modes", "a permit with 'subjects' entitles users and cannot apply in 'agentOnly' mode (no user); grant the agent with a policy without 'subjects'"));
        if (modes.HasFlag(Modes.Direct) && subjects is null)
            problems.Add(new("/subjects", "a policy for 'direct' mode (a subject acting with no agent) needs 'subjects'"));
        if (modes.HasFlag(Modes.Direct) && agents is not null)
            problems.Add(new("/agents", "no agent acts in 'direct' mode: a policy whose modes include 'direct' cannot have 'agents'"));
        if (notBefore is not null && notAfter is not null && notBefore >= notAfter)
            problems.Add(new("/notAfter", "notAfter must be later than notBefore"));
        if (effect == Effect.Forbid && obligations.Count > 0)
            problems.Add(new("/obligations", "obligations belong to permits; a forbid carries none"));

        if (condition is not null)
        {
            var error = ConditionCompiler.TryCompile(condition, out _);
            if (error is not null && !stored)
                problems.Add(new("/condition", "condition does not compile as CEL: " + error));
        }

        if (problems.Count > 0 || id is null || actions is null)
            return new(null, problems);

        return new(new Policy
        {
            Id = id,
            Description = description,
            Effect = effect,
            Status = status,
            Modes = modes,
            Subjects = subjects,
            Agents = agents,
            Actions = actions,
            Resources = resources,
            Condition = condition,
            NotBefore = notBefore,
            NotAfter = notAfter,
            Obligations = obligations,
        }, problems);
    }

    private static Modes ParseModes(JsonElement root, List<Problem> problems)
    {
        if (!root.TryGetProperty("modes", out var element))
            return Modes.Principal;
        var names = StringSet(root, "modes", "", problems, required: false);
        if (names is null)
            return Modes.Principal;
        var modes = Modes.None;
        foreach (var name in names)
        {
            switch (name)
            {
                case "principal": modes |= Modes.Principal; break;
                case "agentOnly": modes |= Modes.AgentOnly; break;
                case "direct": modes |= Modes.Direct; break;
                default: problems.Add(new("/modes", $"unknown mode '{name}' (expected 'principal', 'agentOnly' or 'direct')")); break;
            }
        }
        if (modes == Modes.None && element.ValueKind == JsonValueKind.Array)
            problems.Add(new("/modes", "at least one mode is required"));
        return modes == Modes.None ? Modes.Principal : modes;
    }

    private static SubjectSelector? ParseSubjects(JsonElement element, List<Problem> problems)
    {
        const string path = "/subjects";
        if (!ExpectObject(element, path, ["anyAuthenticated", "users", "groups", "types"], problems))
            return null;
        var any = OptionalBool(element, "anyAuthenticated", path, problems);
        var users = StringSet(element, "users", path, problems, required: false) ?? FrozenSet<string>.Empty;
        var groups = StringSet(element, "groups", path, problems, required: false) ?? FrozenSet<string>.Empty;
        var types = StringSet(element, "types", path, problems, required: false) ?? FrozenSet<string>.Empty;
        CheckTypeNames(types, path + "/types", problems);
        if (types.Contains(Decisions.SubjectTypes.Agent))
            problems.Add(new(path + "/types", "an agent is not a subject of a user policy: grant agents with 'agents' (a policy without 'subjects')"));
        if (!any && users.Count == 0 && groups.Count == 0 && types.Count == 0)
            problems.Add(new(path, "select someone: 'anyAuthenticated': true, or non-empty 'users', 'groups' or 'types'"));
        return new SubjectSelector(any, users, groups) { Types = types };
    }

    private static AgentSelector? ParseAgents(JsonElement element, List<Problem> problems)
    {
        const string path = "/agents";
        if (!ExpectObject(element, path, ["any", "ids", "tags", "blueprints"], problems))
            return null;
        var any = OptionalBool(element, "any", path, problems);
        var ids = StringSet(element, "ids", path, problems, required: false) ?? FrozenSet<string>.Empty;
        var tags = StringSet(element, "tags", path, problems, required: false) ?? FrozenSet<string>.Empty;
        var blueprints = StringSet(element, "blueprints", path, problems, required: false) ?? FrozenSet<string>.Empty;
        if (!any && ids.Count == 0 && tags.Count == 0 && blueprints.Count == 0)
            problems.Add(new(path, "select agents: 'any': true, or non-empty 'ids', 'tags' or 'blueprints'"));
        return new AgentSelector(any, ids, tags, blueprints);
    }

    private static ResourceSelector? ParseResources(JsonElement element, List<Problem> problems)
    {
        const string path = "/resources";
        if (!ExpectObject(element, path, ["types", "ids", "servers", "tags", "maxSensitivity"], problems))
            return null;
        Sensitivity? max = null;
        var maxName = Enum(element, "maxSensitivity", path, problems, required: false, [.. SensitivityNames.All]);
        if (maxName is not null)
            max = SensitivityNames.ParseOrRestricted(maxName);
        var types = StringSet(element, "types", path, problems, required: false);
        CheckTypeNames(types, path + "/types", problems);
        return new ResourceSelector(
            types,
            StringSet(element, "ids", path, problems, required: false),
            StringSet(element, "servers", path, problems, required: false),
            StringSet(element, "tags", path, problems, required: false),
            max);
    }

    private static List<Obligation> ParseObligations(JsonElement element, List<Problem> problems)
    {
        var result = new List<Obligation>();
        if (element.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new("/obligations", "must be an array"));
            return result;
        }
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = $"/obligations/{index++}";
            if (!ExpectObject(item, path, ["id", "type", "properties"], problems))
                continue;
            var id = RequiredString(item, "id", path, problems);
            var type = RequiredString(item, "type", path, problems);
            var properties = item.TryGetProperty("properties", out var p) ? p : default;
            if (properties.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            {
                problems.Add(new(path + "/properties", "must be an object"));
                continue;
            }
            switch (type)
            {
                case ObligationTypes.RowFilter when !HasString(properties, "filter"):
                    problems.Add(new(path + "/properties/filter", "a rowFilter obligation needs a 'filter' string"));
                    break;
                case ObligationTypes.Redact when !HasArray(properties, "fields") && !HasArray(properties, "classifications"):
                    problems.Add(new(path + "/properties", "a redact obligation needs 'fields' or 'classifications' (arrays of strings)"));
                    break;
            }
            if (id is not null && type is not null)
                result.Add(new Obligation(id, type, properties.ValueKind == JsonValueKind.Undefined ? EmptyObject : properties.Clone()));
        }
        if (result.Select(o => o.Id).Distinct(StringComparer.Ordinal).Count() != result.Count)
            problems.Add(new("/obligations", "obligation ids must be unique within a policy"));
        return result;
    }

    /// <summary>Entity types are names (<see cref="Decisions.EntityTypes.IsValid"/>), so a typo such as a space cannot hide.</summary>
    private static void CheckTypeNames(FrozenSet<string>? types, string path, List<Problem> problems)
    {
        foreach (var type in types ?? [])
        {
            if (!Decisions.EntityTypes.IsValid(type))
                problems.Add(new(path, $"'{type}' is not a type name ({Decisions.EntityTypes.Rule})"));
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static bool HasString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String;

    private static bool HasArray(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
        && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String);

    private static bool ExpectObject(JsonElement element, string path, string[] allowed, List<Problem> problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new(path, "must be an object"));
            return false;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
                problems.Add(new($"{path}/{property.Name}", $"unknown member '{property.Name}' (expected one of: {string.Join(", ", allowed)})"));
        }
        return true;
    }

    private static string? RequiredString(JsonElement obj, string name, string path, List<Problem> problems)
    {
        if (!obj.TryGetProperty(name, out var v))
        {
            problems.Add(new($"{path}/{name}", $"'{name}' is required"));
            return null;
        }
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            problems.Add(new($"{path}/{name}", $"'{name}' must be a non-empty string"));
            return null;
        }
        return v.GetString();
    }

    private static string? OptionalString(JsonElement obj, string name, string path, List<Problem> problems)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            return null;
        if (v.ValueKind != JsonValueKind.String)
        {
            problems.Add(new($"{path}/{name}", $"'{name}' must be a string"));
            return null;
        }
        return v.GetString();
    }

    private static bool OptionalBool(JsonElement obj, string name, string path, List<Problem> problems)
    {
        if (!obj.TryGetProperty(name, out var v))
            return false;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return v.GetBoolean();
        problems.Add(new($"{path}/{name}", $"'{name}' must be true or false"));
        return false;
    }

    private static string? Enum(JsonElement obj, string name, string path, List<Problem> problems, bool required, string[] allowed)
    {
        var value = required ? RequiredString(obj, name, path, problems) : OptionalString(obj, name, path, problems);
        if (value is not null && Array.IndexOf(allowed, value) < 0)
        {
            problems.Add(new($"{path}/{name}", $"'{value}' is not one of: {string.Join(", ", allowed)}"));
            return null;
        }
        return value;
    }

    private static FrozenSet<string>? StringSet(JsonElement obj, string name, string path, List<Problem> problems, bool required)
    {
        if (!obj.TryGetProperty(name, out var v))
        {
            if (required)
                problems.Add(new($"{path}/{name}", $"'{name}' is required"));
            return null;
        }
        if (v.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new($"{path}/{name}", $"'{name}' must be an array of strings"));
            return null;
        }
        var values = new List<string>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(item.GetString()))
                problems.Add(new($"{path}/{name}/{i}", "must be a non-empty string"));
            else
                values.Add(item.GetString()!);
            i++;
        }
        return values.ToFrozenSet(StringComparer.Ordinal);
    }

    private static DateTimeOffset? Timestamp(JsonElement obj, string name, List<Problem> problems)
    {
        var text = OptionalString(obj, name, "", problems);
        if (text is null)
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            && text.Contains('T', StringComparison.Ordinal))
            return value;
        problems.Add(new("/" + name, $"'{name}' must be an RFC 3339 timestamp such as 2026-12-31T23:59:59Z"));
        return null;
    }
}

public static class ObligationTypes
{
    public const string RowFilter = "rowFilter";
    public const string Redact = "redact";
}
