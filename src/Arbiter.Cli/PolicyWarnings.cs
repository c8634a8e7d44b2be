using System.Collections.Frozen;
using System.Text.Json;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Cli;

/// <summary>A valid policy that probably does not do what its author meant: where (JSON Pointer in the policy) and why.</summary>
internal sealed record PolicyWarning(string Path, string Message);

/// <summary>
/// The warnings of <c>policy validate</c>: a policy the engine accepts but that matches nothing its author can have
/// meant — an action no checkpoint uses (<c>tool/call</c>), a user, group, agent, tag, server or resource the tenant
/// does not have (<c>itops</c>, <c>general-asistant</c>), or a permit that an unconditional forbid covers entirely.
/// References are checked only against a directory when one is given (offline, the policies alone cannot know who
/// exists); unregistered resources are legitimate in an open world, so an unknown resource id is a warning, not an error.
/// </summary>
internal sealed class PolicyWarnings
{
    // The resource types of the four checkpoints (DESIGN.md); other types are fine when a registered data resource has them.
    private static readonly string[] CheckpointResourceTypes = ["tool", "mcp_server", "agent", "field", "classification", "dataset", "table", "document"];

    private readonly FrozenSet<string> _actions;
    private readonly TenantState? _directory;
    private readonly FrozenSet<string> _agentTags;
    private readonly FrozenSet<string> _blueprints;
    private readonly FrozenSet<string> _resourceIds;
    private readonly FrozenSet<string> _resourceTags;
    private readonly FrozenSet<string> _resourceTypes;

    /// <param name="extraActions">Custom actions the caller's enforcement points send (<c>--action</c>).</param>
    /// <param name="directory">The tenant's users, groups, agents and resources, or null when none was given.</param>
    public PolicyWarnings(IEnumerable<string> extraActions, TenantState? directory)
    {
        _actions = WellKnownActions.All.Concat(extraActions).ToFrozenSet(StringComparer.Ordinal);
        _directory = directory;
        var state = directory ?? TenantState.Empty;
        _agentTags = state.Agents.Values.SelectMany(a => a.Tags).ToFrozenSet(StringComparer.Ordinal);
        _blueprints = state.Agents.Values.Select(a => a.BlueprintId).OfType<string>().ToFrozenSet(StringComparer.Ordinal);
        _resourceIds = state.Tools.Keys.Concat(state.DataResources.Keys).Concat(state.Servers.Keys).Concat(state.Agents.Keys).ToFrozenSet(StringComparer.Ordinal);
        _resourceTags = state.Tools.Values.SelectMany(t => t.Tags).Concat(state.DataResources.Values.SelectMany(d => d.Tags))
            .Concat(state.Servers.Values.SelectMany(s => s.Tags)).ToFrozenSet(StringComparer.Ordinal);
        _resourceTypes = CheckpointResourceTypes.Concat(state.DataResources.Values.Select(d => d.Type)).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The warnings of one valid policy; <paramref name="all"/> are the other policies validated with it (for shadowing).</summary>
    public IReadOnlyList<PolicyWarning> Of(JsonElement document, Policy policy, IReadOnlyList<Policy> all)
    {
        var warnings = new List<PolicyWarning>();
        Check(document, "/actions", _actions, "no checkpoint uses the action '{0}' (known: " + string.Join(", ", _actions.Order(StringComparer.Ordinal)) + "; pass --action for a custom one)", warnings);
        if (_directory is { } d)
        {
            Check(document, "/subjects/users", d.Users.Keys.ToFrozenSet(StringComparer.Ordinal), "no user '{0}' in the directory", warnings);
            Check(document, "/subjects/groups", d.Groups.Keys.ToFrozenSet(StringComparer.Ordinal), "no group '{0}' in the directory", warnings);
            Check(document, "/agents/ids", d.Agents.Keys.ToFrozenSet(StringComparer.Ordinal), "no agent '{0}' in the directory", warnings);
            Check(document, "/agents/tags", _agentTags, "no agent in the directory has the tag '{0}'", warnings);
            Check(document, "/agents/blueprints", _blueprints, "no agent in the directory has the blueprint '{0}'", warnings);
            Check(document, "/resources/ids", _resourceIds, "no registered tool, data resource, server or agent '{0}' (fine for an unregistered resource a request names)", warnings);
            Check(document, "/resources/servers", d.Servers.Keys.ToFrozenSet(StringComparer.Ordinal), "no MCP server '{0}' in the directory", warnings);
            Check(document, "/resources/tags", _resourceTags, "no registered resource has the tag '{0}'", warnings);
            Check(document, "/resources/types", _resourceTypes, "no checkpoint or registered data resource has the type '{0}'", warnings);
        }
        if (policy.Effect == Effect.Permit && policy.Status != PolicyStatus.Disabled)
        {
            foreach (var forbid in all)
            {
                if (Covers(forbid, policy))
                {
                    warnings.Add(new("", $"shadowed: the forbid '{forbid.Id}' (no condition, no time window) matches every request this permit matches, so it never permits"));
                    break;
                }
            }
        }
        return warnings;
    }

    private static void Check(JsonElement document, string pointer, FrozenSet<string> known, string message, List<PolicyWarning> warnings)
    {
        var element = document;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element))
                return;
        }
        if (element.ValueKind != JsonValueKind.Array)
            return;
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { } name && !known.Contains(name))
            {
                var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, message, name);
                if (Closest(name, known) is { } near)
                    text += $"; did you mean '{near}'?";
                warnings.Add(new($"{pointer}/{i}", text));
            }
            i++;
        }
    }

    /// <summary>
    /// Whether the active, unconditional forbid <paramref name="forbid"/> applies to every request <paramref name="permit"/>
    /// applies to. Conservative: only set inclusions that hold whatever the directory says count, so a warning is never wrong.
    /// </summary>
    internal static bool Covers(Policy forbid, Policy permit)
    {
        if (forbid.Effect != Effect.Forbid || forbid.Status != PolicyStatus.Active || forbid.Condition is not null
            || forbid.NotBefore is not null || forbid.NotAfter is not null)
            return false;
        if (!permit.Actions.IsSubsetOf(forbid.Actions) || (permit.Modes & forbid.Modes) != permit.Modes)
            return false;
        return CoversSubjects(forbid.Subjects, permit.Subjects) && CoversAgents(forbid.Agents, permit.Agents) && CoversResources(forbid.Resources, permit.Resources);
    }

    // A forbid without 'subjects' does not look at the user; one with them covers a permit that names only users and groups it names too.
    private static bool CoversSubjects(SubjectSelector? forbid, SubjectSelector? permit) =>
        forbid is null || forbid.AnyAuthenticated
        || (permit is not null && !permit.AnyAuthenticated && permit.Users.IsSubsetOf(forbid.Users) && permit.Groups.IsSubsetOf(forbid.Groups));

    private static bool CoversAgents(AgentSelector? forbid, AgentSelector? permit) =>
        forbid is null || forbid.Any
        || (permit is not null && !permit.Any && permit.Ids.IsSubsetOf(forbid.Ids) && permit.Tags.IsSubsetOf(forbid.Tags) && permit.Blueprints.IsSubsetOf(forbid.Blueprints));

    private static bool CoversResources(ResourceSelector? forbid, ResourceSelector? permit)
    {
        if (forbid is null)
            return true;
        if (permit is null)
            return forbid.Types is null && forbid.Ids is null && forbid.Servers is null && forbid.Tags is null && forbid.MaxSensitivity is null;
        return Within(permit.Types, forbid.Types) && Within(permit.Ids, forbid.Ids) && Within(permit.Servers, forbid.Servers)
            && Within(permit.Tags, forbid.Tags)
            && (forbid.MaxSensitivity is null || (permit.MaxSensitivity is { } p && p <= forbid.MaxSensitivity));
    }

    private static bool Within(FrozenSet<string>? permit, FrozenSet<string>? forbid) => forbid is null || (permit is not null && permit.IsSubsetOf(forbid));

    /// <summary>The known name at most two edits away, for a "did you mean".</summary>
    private static string? Closest(string name, FrozenSet<string> known)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in known.Order(StringComparer.Ordinal))
        {
            if (Math.Abs(candidate.Length - name.Length) >= bestDistance)
                continue;
            var distance = Distance(name, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
