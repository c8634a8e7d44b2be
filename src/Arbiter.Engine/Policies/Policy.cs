using System.Collections.Frozen;
using System.Text.Json;

namespace Arbiter.Engine.Policies;

public enum Effect { Permit, Forbid }

public enum PolicyStatus { Active, Disabled, Shadow }

[Flags]
/// <summary>
/// Who acts: a user through an agent (<see cref="Principal"/>), an agent alone (<see cref="AgentOnly"/>), or a user (or
/// asserted subject) with no agent at all (<see cref="Direct"/>). A policy applies only in the modes it lists.
/// </summary>
public enum Modes { None = 0, Principal = 1, AgentOnly = 2, Both = Principal | AgentOnly, Direct = 4 }

/// <summary>
/// A validated policy. Who (<see cref="Subjects"/>: users, groups, any authenticated user), through which agents
/// (<see cref="Agents"/>), may or may not do which <see cref="Actions"/> on which <see cref="Resources"/>, in which modes.
/// A policy with subjects is a user entitlement; a policy without subjects is a grant to the agents it names.
/// </summary>
public sealed record Policy
{
    public required string Id { get; init; }
    public string? Description { get; init; }
    public required Effect Effect { get; init; }
    public PolicyStatus Status { get; init; } = PolicyStatus.Active;
    public Modes Modes { get; init; } = Modes.Principal;
    public SubjectSelector? Subjects { get; init; }
    public AgentSelector? Agents { get; init; }
    public required FrozenSet<string> Actions { get; init; }
    public ResourceSelector? Resources { get; init; }
    public string? Condition { get; init; }
    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? NotAfter { get; init; }
    public IReadOnlyList<Obligation> Obligations { get; init; } = [];

    /// <summary>True when the policy constrains humans (has a subject selector); false for a grant to agents.</summary>
    public bool IsUserPolicy => Subjects is not null;
}

/// <summary>
/// Which subjects: any registered user, registered users by id or group, or every subject of the listed
/// <see cref="Types"/> — the one way a policy reaches a subject the directory does not hold (an asserted subject).
/// </summary>
public sealed record SubjectSelector(bool AnyAuthenticated, FrozenSet<string> Users, FrozenSet<string> Groups)
{
    public FrozenSet<string> Types { get; init; } = FrozenSet<string>.Empty;
}

public sealed record AgentSelector(bool Any, FrozenSet<string> Ids, FrozenSet<string> Tags, FrozenSet<string> Blueprints)
{
    public bool Matches(string agentId, FrozenSet<string> tags, string? blueprintId) =>
        Any || Ids.Contains(agentId) || (blueprintId is not null && Blueprints.Contains(blueprintId)) || Selectors.Overlap(Tags, tags);
}

/// <summary>Which resources: by type, id, MCP server (for tools), tag, and an upper sensitivity/classification bound.</summary>
public sealed record ResourceSelector(
    FrozenSet<string>? Types,
    FrozenSet<string>? Ids,
    FrozenSet<string>? Servers,
    FrozenSet<string>? Tags,
    Sensitivity? MaxSensitivity)
{
    /// <summary>Whether a resource (as the directory knows it) is selected: every given criterion must hold.</summary>
    public bool Matches(string type, string id, string? server, Sensitivity level, FrozenSet<string> tags)
    {
        if (Types is not null && !Types.Contains(type))
            return false;
        if (Ids is not null && !Ids.Contains(id))
            return false;
        if (Servers is not null && (server is null || !Servers.Contains(server)))
            return false;
        if (MaxSensitivity is { } max && level > max)
            return false;
        if (Tags is not null && !Selectors.Overlap(Tags, tags))
            return false;
        return true;
    }
}

internal static class Selectors
{
    /// <summary>Whether two tag sets share a tag, without allocating (this runs on every decision).</summary>
    public static bool Overlap(FrozenSet<string> wanted, FrozenSet<string> present)
    {
        if (wanted.Count == 0 || present.Count == 0)
            return false;
        foreach (var tag in present.Items)
        {
            if (wanted.Contains(tag))
                return true;
        }
        return false;
    }
}

/// <summary>An obligation a permit carries: the caller must honour it or treat the answer as a deny.</summary>
public sealed record Obligation(string Id, string Type, JsonElement Properties);

/// <summary>Tool sensitivity / data classification, ordered.</summary>
public enum Sensitivity { Public = 0, Internal = 1, Confidential = 2, Restricted = 3 }

public static class SensitivityNames
{
    public static readonly IReadOnlyList<string> All = ["public", "internal", "confidential", "restricted"];

    public static bool TryParse(string? value, out Sensitivity level)
    {
        var i = value is null ? -1 : ((List<string>)[.. All]).IndexOf(value);
        level = i < 0 ? Sensitivity.Restricted : (Sensitivity)i;
        return i >= 0;
    }

    /// <summary>Absent or unknown labels count as the highest level (fail closed).</summary>
    public static Sensitivity ParseOrRestricted(string? value) => TryParse(value, out var level) ? level : Sensitivity.Restricted;

    public static string Name(Sensitivity level) => All[(int)level];
}

/// <summary>The actions the four checkpoints use; any other non-empty name is a custom action.</summary>
public static class WellKnownActions
{
    public const string AgentInvoke = "agent.invoke";
    public const string ToolsCall = "tools/call";
    public const string ToolsList = "tools/list";
    public const string DataRead = "data.read";
    public const string ResponseExpose = "response.expose";

    public static readonly IReadOnlyList<string> All = [AgentInvoke, ToolsCall, ToolsList, DataRead, ResponseExpose];
}
