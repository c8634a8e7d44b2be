using System.Security.Cryptography;
using System.Text;
using Arbiter.Governance.Entitlements;

namespace Arbiter.Governance.Drift;

/// <summary>The kinds of finding, their default severities, and the deterministic finding id.</summary>
public static class FindingKinds
{
    /// <summary>A tool the certified baseline did not reach (subject: tool id).</summary>
    public const string NewTool = "newTool";

    /// <summary>An MCP server the baseline did not reach (subject: server id).</summary>
    public const string NewServer = "newServer";

    /// <summary>A data resource the baseline did not reach (subject: data resource id).</summary>
    public const string NewData = "newData";

    /// <summary>The highest reachable tool/server sensitivity rose above the baseline's (subject: the new level).</summary>
    public const string HigherSensitivity = "higherSensitivity";

    /// <summary>The highest reachable data classification rose above the baseline's (subject: the new level).</summary>
    public const string HigherClassification = "higherClassification";

    /// <summary>A group whose members may now invoke the agent (subject: group id, or <c>*</c> for any authenticated user).</summary>
    public const string NewInvokingGroup = "newInvokingGroup";

    /// <summary>The owner or a sponsor is disabled or gone, or the agent has neither (subject: <c>owner:{id}</c>, <c>sponsor:{id}</c>, <c>none</c>).</summary>
    public const string OrphanedAgent = "orphanedAgent";

    /// <summary>The agent is disabled in Entra ID yet policies still grant it (subject: empty).</summary>
    public const string DisabledStillGranted = "disabledStillGranted";

    /// <summary>A grant to the agent is past its <c>notAfter</c> (subject: policy id).</summary>
    public const string GrantExpired = "grantExpired";

    /// <summary>A grant ends within <see cref="GovernanceOptions.ExpiryWarningDays"/> (subject: policy id).</summary>
    public const string GrantExpiring = "grantExpiring";

    /// <summary>No decision for the agent in <see cref="GovernanceOptions.UnusedDays"/> days (subject: empty).</summary>
    public const string Unused = "unused";

    /// <summary>
    /// An MCP server describes a tool differently from its approved definition (subject: tool name; the finding's agent
    /// id is <c>mcp-server:{server}</c>). Raised by the gateway's tool-definition pinning (<see cref="ToolDefinitionPins"/>).
    /// </summary>
    public const string ToolDefinitionChanged = "toolDefinitionChanged";

    public static readonly IReadOnlyList<string> All =
        [NewTool, NewServer, NewData, HigherSensitivity, HigherClassification, NewInvokingGroup, OrphanedAgent, DisabledStillGranted, GrantExpired, GrantExpiring, Unused, ToolDefinitionChanged];

    /// <summary>Findings about the state of things rather than reach beyond the baseline: an approval accepts them as they are.</summary>
    public static bool IsStateKind(string kind) => kind is OrphanedAgent or DisabledStillGranted or GrantExpired or GrantExpiring or Unused;

    public static FindingSeverity DefaultSeverity(string kind) => kind switch
    {
        DisabledStillGranted => FindingSeverity.Critical,
        NewServer or HigherSensitivity or HigherClassification or OrphanedAgent or ToolDefinitionChanged => FindingSeverity.High,
        NewTool or NewData or NewInvokingGroup => FindingSeverity.Medium,
        GrantExpired or Unused => FindingSeverity.Low,
        _ => FindingSeverity.Info,
    };

    /// <summary><c>f-</c> + the first 32 hex digits of SHA-256(agent, kind, subject): stable across runs and instances.</summary>
    public static string FindingId(string agentId, string kind, string subject)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(agentId + "\n" + kind + "\n" + subject));
        return "f-" + Convert.ToHexStringLower(hash)[..32];
    }
}

/// <summary>One thing detection observed about an agent now.</summary>
public sealed record Observation(string Kind, string Subject, string Detail);

/// <summary>The rules: current entitlements against the certified baseline, plus the state of the agent and its grants.</summary>
public static class FindingRules
{
    public static IReadOnlyList<Observation> Evaluate(AgentEntitlements now, AgentEntitlements baseline, DateTimeOffset? lastSeen, DateTimeOffset at, GovernanceOptions options)
    {
        var result = new List<Observation>();
        if (now.Active)
        {
            var diff = EntitlementDiff.Between(baseline, now);
            result.AddRange(diff.AddedTools.Select(t => new Observation(FindingKinds.NewTool, t, $"tool '{t}' is reachable; the certified baseline did not reach it")));
            result.AddRange(diff.AddedServers.Select(s => new Observation(FindingKinds.NewServer, s, $"MCP server '{s}' is reachable; the certified baseline did not reach it")));
            result.AddRange(diff.AddedData.Select(d => new Observation(FindingKinds.NewData, d, $"data resource '{d}' is readable; the certified baseline could not read it")));
            if (AgentEntitlements.Rank(now.MaxSensitivity) > AgentEntitlements.Rank(baseline.MaxSensitivity))
                result.Add(new(FindingKinds.HigherSensitivity, now.MaxSensitivity!, $"reachable sensitivity rose from {baseline.MaxSensitivity ?? "none"} to {now.MaxSensitivity}"));
            if (AgentEntitlements.Rank(now.MaxClassification) > AgentEntitlements.Rank(baseline.MaxClassification))
                result.Add(new(FindingKinds.HigherClassification, now.MaxClassification!, $"readable classification rose from {baseline.MaxClassification ?? "none"} to {now.MaxClassification}"));
            result.AddRange(diff.AddedGroups.Select(g => new Observation(FindingKinds.NewInvokingGroup, g, $"members of group '{g}' may now invoke the agent")));
            if (diff.AnyUserMayInvokeAdded)
                result.Add(new(FindingKinds.NewInvokingGroup, "*", "any authenticated user may now invoke the agent"));
        }

        if (now.Owner is null && now.Sponsors.Count == 0)
            result.Add(new(FindingKinds.OrphanedAgent, "none", "the agent has neither an owner nor a sponsor"));
        if (now.Owner is { State: not PrincipalState.Active } owner)
            result.Add(new(FindingKinds.OrphanedAgent, "owner:" + owner.Id, $"the owner '{owner.Id}' is {owner.State}"));
        foreach (var sponsor in now.Sponsors.Where(s => s.State != PrincipalState.Active))
            result.Add(new(FindingKinds.OrphanedAgent, "sponsor:" + sponsor.Id, $"the sponsor '{sponsor.Id}' is {sponsor.State}"));

        if (now.Source == "entra" && !now.Enabled && now.GrantedBy.Count > 0)
            result.Add(new(FindingKinds.DisabledStillGranted, "", $"the agent identity is disabled in Entra ID but still granted by {string.Join(", ", now.GrantedBy)}"));

        foreach (var grant in now.Expiring)
        {
            if (grant.Expired)
                result.Add(new(FindingKinds.GrantExpired, grant.PolicyId, $"policy '{grant.PolicyId}' ended at {grant.NotAfter:O} and is still in place"));
            else if (grant.NotAfter - at <= TimeSpan.FromDays(options.ExpiryWarningDays))
                result.Add(new(FindingKinds.GrantExpiring, grant.PolicyId, $"policy '{grant.PolicyId}' ends at {grant.NotAfter:O}"));
        }

        if (options.UnusedDays > 0 && lastSeen is { } seen && at - seen > TimeSpan.FromDays(options.UnusedDays))
            result.Add(new(FindingKinds.Unused, "", $"no decision for the agent since {seen:O} (more than {options.UnusedDays} days)"));
        return result;
    }
}
