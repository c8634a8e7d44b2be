using Arbiter.Engine.Policies;

namespace Arbiter.Governance.Entitlements;

/// <summary>A user who answers for an agent, and whether they still can: <c>active</c>, <c>disabled</c> or <c>missing</c>.</summary>
public sealed record PrincipalState(string Id, string State)
{
    public const string Active = "active";
    public const string Disabled = "disabled";
    public const string Missing = "missing";
}

/// <summary>A policy that lets the agent act (or be invoked) and ends at <see cref="NotAfter"/>.</summary>
public sealed record GrantValidity(string PolicyId, DateTimeOffset NotAfter, bool Expired);

/// <summary>
/// What an agent can reach, canonical and diffable: every list sorted (ordinal), no timestamps except grant ends.
/// Reach (tools, servers, data) is the union of the agent-only grants and, in principal context, of what each of its
/// users may reach through it (the intersection per user, as decisions compute it).
/// </summary>
public sealed record AgentEntitlements
{
    public required string AgentId { get; init; }
    public string? DisplayName { get; init; }
    public bool Enabled { get; init; }
    public bool Suspended { get; init; }
    public string Source { get; init; } = "arbiter";

    public IReadOnlyList<string> Tools { get; init; } = [];
    public IReadOnlyList<string> Servers { get; init; } = [];

    /// <summary>Data resources (dataset, table, document) the agent may read.</summary>
    public IReadOnlyList<string> Data { get; init; } = [];

    /// <summary>Highest tool/server sensitivity reachable (null: none).</summary>
    public string? MaxSensitivity { get; init; }

    /// <summary>Highest data classification reachable (null: none).</summary>
    public string? MaxClassification { get; init; }

    /// <summary>Groups whose members may invoke the agent: the groups policies name, and every group nested in them, less forbidden ones.</summary>
    public IReadOnlyList<string> InvokingGroups { get; init; } = [];

    /// <summary>True when any authenticated user may invoke the agent.</summary>
    public bool AnyUserMayInvoke { get; init; }

    /// <summary>How many users may invoke the agent now (evaluated).</summary>
    public int InvokingUsers { get; init; }

    public PrincipalState? Owner { get; init; }
    public IReadOnlyList<PrincipalState> Sponsors { get; init; } = [];

    /// <summary>Active policies that grant the agent something or let users invoke it.</summary>
    public IReadOnlyList<string> GrantedBy { get; init; } = [];

    /// <summary>Grants with an end date, and whether it has passed.</summary>
    public IReadOnlyList<GrantValidity> Expiring { get; init; } = [];

    /// <summary>True when principal reach was evaluated for only the first <see cref="GovernanceOptions.MaxUserClasses"/> user classes.</summary>
    public bool Truncated { get; init; }

    public bool Active => Enabled && !Suspended;

    public static int Rank(string? level) =>
        level is null ? -1 : SensitivityNames.TryParse(level, out var s) ? (int)s : (int)Sensitivity.Restricted;
}

public sealed record LevelChange(string? From, string? To);

/// <summary>What changed from the certified baseline to now (reach and invokers).</summary>
public sealed record EntitlementDiff
{
    public IReadOnlyList<string> AddedTools { get; init; } = [];
    public IReadOnlyList<string> RemovedTools { get; init; } = [];
    public IReadOnlyList<string> AddedServers { get; init; } = [];
    public IReadOnlyList<string> RemovedServers { get; init; } = [];
    public IReadOnlyList<string> AddedData { get; init; } = [];
    public IReadOnlyList<string> RemovedData { get; init; } = [];
    public IReadOnlyList<string> AddedGroups { get; init; } = [];
    public IReadOnlyList<string> RemovedGroups { get; init; } = [];
    public bool AnyUserMayInvokeAdded { get; init; }
    public LevelChange? Sensitivity { get; init; }
    public LevelChange? Classification { get; init; }

    public static EntitlementDiff Between(AgentEntitlements baseline, AgentEntitlements now) => new()
    {
        AddedTools = Minus(now.Tools, baseline.Tools),
        RemovedTools = Minus(baseline.Tools, now.Tools),
        AddedServers = Minus(now.Servers, baseline.Servers),
        RemovedServers = Minus(baseline.Servers, now.Servers),
        AddedData = Minus(now.Data, baseline.Data),
        RemovedData = Minus(baseline.Data, now.Data),
        AddedGroups = Minus(now.InvokingGroups, baseline.InvokingGroups),
        RemovedGroups = Minus(baseline.InvokingGroups, now.InvokingGroups),
        AnyUserMayInvokeAdded = now.AnyUserMayInvoke && !baseline.AnyUserMayInvoke,
        Sensitivity = baseline.MaxSensitivity == now.MaxSensitivity ? null : new LevelChange(baseline.MaxSensitivity, now.MaxSensitivity),
        Classification = baseline.MaxClassification == now.MaxClassification ? null : new LevelChange(baseline.MaxClassification, now.MaxClassification),
    };

    private static string[] Minus(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var exclude = b.ToHashSet(StringComparer.Ordinal);
        return [.. a.Where(x => !exclude.Contains(x))];
    }
}
