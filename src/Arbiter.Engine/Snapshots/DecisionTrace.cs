using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>The legs a decision can have; see <see cref="LegResult"/>.</summary>
internal enum LegKind : byte
{
    /// <summary>The user may invoke the agent (<c>user-invokes-agent</c>).</summary>
    Invoke,
    /// <summary>The agent holds a grant (<c>agent-grant</c>).</summary>
    AgentGrant,
    /// <summary>The user is entitled (<c>user-entitlement</c>).</summary>
    UserEntitlement,
    /// <summary>The forbids of an agent's owner, when the agent acts alone (<c>owner-forbids</c>).</summary>
    OwnerForbids,
}

/// <summary>How a matched policy counts on its leg.</summary>
[Flags]
internal enum MatchKind : byte
{
    None = 0,
    Permit = 1,
    Forbid = 2,
    ShadowPermit = 4,
    ShadowForbid = 8,
}

/// <summary>A policy that matched on one leg (the leg's position in the decision's leg list).</summary>
internal readonly record struct Match(int Leg, MatchKind Kind, CompiledPolicy Policy);

/// <summary>Something an operator should know about one leg (a policy outside its validity window, a failing condition).</summary>
internal readonly record struct LegNote(int Leg, string Text);

/// <summary>The legs of each decision shape, with their names and whether each needs a permit.</summary>
internal static class Legs
{
    public static readonly LegKind[] None = [];
    public static readonly LegKind[] InvokeOnly = [LegKind.Invoke];
    public static readonly LegKind[] Principal = [LegKind.Invoke, LegKind.AgentGrant, LegKind.UserEntitlement];
    public static readonly LegKind[] AgentAlone = [LegKind.AgentGrant];
    public static readonly LegKind[] AgentWithOwner = [LegKind.AgentGrant, LegKind.OwnerForbids];
    public static readonly LegKind[] Direct = [LegKind.UserEntitlement];

    public static string Name(LegKind kind) => kind switch
    {
        LegKind.Invoke => "user-invokes-agent",
        LegKind.AgentGrant => "agent-grant",
        LegKind.UserEntitlement => "user-entitlement",
        _ => "owner-forbids",
    };

    /// <summary>The owner's leg only ever forbids; every other leg needs an active permit.</summary>
    public static bool RequiresPermit(LegKind kind) => kind != LegKind.OwnerForbids;

    public static bool Satisfied(LegKind kind, MatchKind seen) =>
        (!RequiresPermit(kind) || (seen & MatchKind.Permit) != 0) && (seen & MatchKind.Forbid) == 0;

    /// <summary>As if shadow policies were active: what <c>shadow.decision</c> reports.</summary>
    public static bool ShadowSatisfied(LegKind kind, MatchKind seen) =>
        (!RequiresPermit(kind) || (seen & (MatchKind.Permit | MatchKind.ShadowPermit)) != 0) && (seen & (MatchKind.Forbid | MatchKind.ShadowForbid)) == 0;
}

/// <summary>Room for the matches of one evaluation on the stack; more than fit spill into a list.</summary>
[InlineArray(8)]
internal struct MatchSlots
{
    private Match _element;
}

/// <summary>The matches of one evaluation, in the order found; a policy counts once per leg.</summary>
internal struct MatchList
{
    private const int InlineCapacity = 8;
    private MatchSlots _inline;
    private List<Match>? _overflow;

    public int Count { get; private set; }

    public readonly Match this[int i] => i < InlineCapacity ? _inline[i] : _overflow![i - InlineCapacity];

    /// <summary>Adds a match unless the policy already matched on that leg (a policy naming two of the user's groups).</summary>
    public void Add(int leg, MatchKind kind, CompiledPolicy policy)
    {
        for (var i = 0; i < Count; i++)
        {
            var m = this[i];
            if (m.Leg == leg && ReferenceEquals(m.Policy, policy))
                return;
        }
        var match = new Match(leg, kind, policy);
        if (Count < InlineCapacity)
            _inline[Count] = match;
        else
            (_overflow ??= []).Add(match);
        Count++;
    }

    /// <summary>How the policies matched on one leg count, together.</summary>
    public readonly MatchKind KindsOn(int leg)
    {
        var kinds = MatchKind.None;
        for (var i = 0; i < Count; i++)
        {
            var m = this[i];
            if (m.Leg == leg)
                kinds |= m.Kind;
        }
        return kinds;
    }

    public readonly Match[] ToArray()
    {
        if (Count == 0)
            return [];
        var result = new Match[Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = this[i];
        return result;
    }
}

/// <summary>
/// What one evaluation recorded — the request, the legs, the matched policies, notes, or the problem that stopped it
/// early — written out as an <see cref="Explanation"/> the first time the decision's explanation is read. Kept inside
/// the <see cref="Decision"/> (a struct, so a decision is one allocation plus its matches).
/// </summary>
internal readonly struct DecisionTrace(
    DecisionRequest request, string mode, LegKind[] legs, Match[] matches, LegNote[]? notes, string? problem, string reasonUser)
{
    private readonly PolicySnapshot? _deferredTo;
    private readonly DateTimeOffset _now;

    /// <summary>A deny decided before every leg was scanned: explaining it evaluates the request again, recording everything.</summary>
    public static DecisionTrace Deferred(PolicySnapshot snapshot, DecisionRequest request, DateTimeOffset now) =>
        new(request, "", [], [], null, null, "", snapshot, now);

    private DecisionTrace(DecisionRequest request, string mode, LegKind[] legs, Match[] matches, LegNote[]? notes, string? problem, string reasonUser,
        PolicySnapshot snapshot, DateTimeOffset now)
        : this(request, mode, legs, matches, notes, problem, reasonUser)
    {
        _deferredTo = snapshot;
        _now = now;
    }

    public Explanation Explain(bool allowed)
    {
        if (_deferredTo is not null)
            return _deferredTo.Retrace(request, _now).Explain(allowed);

        var results = new LegResult[legs.Length];
        Span<MatchKind> seen = stackalloc MatchKind[legs.Length];
        var anyShadow = false;
        foreach (var m in matches)
        {
            seen[m.Leg] |= m.Kind;
            anyShadow |= (m.Kind & (MatchKind.ShadowPermit | MatchKind.ShadowForbid)) != 0;
        }
        var matched = new List<string>(matches.Length);
        for (var leg = 0; leg < legs.Length; leg++)
        {
            var permits = Ids(leg, MatchKind.Permit);
            var forbids = Ids(leg, MatchKind.Forbid);
            results[leg] = new LegResult(Legs.Name(legs[leg]), Legs.Satisfied(legs[leg], seen[leg]), permits, forbids, NotesOf(leg));
            AddDistinct(matched, permits);
            AddDistinct(matched, forbids);
        }
        if (problem is not null)
            return new Explanation(results, [], "deny: " + problem, reasonUser, [], null);

        ShadowResult? shadow = null;
        if (anyShadow)
        {
            var shadowAllowed = true;
            var shadowIds = new List<string>(2);
            for (var leg = 0; leg < legs.Length; leg++)
            {
                shadowAllowed &= Legs.ShadowSatisfied(legs[leg], seen[leg]);
                AddDistinct(shadowIds, Ids(leg, MatchKind.ShadowPermit));
                AddDistinct(shadowIds, Ids(leg, MatchKind.ShadowForbid));
            }
            shadow = new ShadowResult(shadowAllowed, shadowAllowed != allowed, shadowIds);
        }
        return allowed
            ? new Explanation(results, matched, PermitReason(results), reasonUser, MergeObligations(matches), shadow)
            : new Explanation(results, matched, "deny: " + DenyReason(results, seen), reasonUser, [], shadow);
    }

    /// <summary>"permit: user-invokes-agent by p1; agent-grant by p2, p3; ..." — each leg with the permits that satisfied it.</summary>
    private static string PermitReason(LegResult[] results)
    {
        var text = new StringBuilder("permit: ", 96);
        var first = true;
        foreach (var leg in results)
        {
            if (leg.Permits.Count == 0)
                continue;
            text.Append(first ? "" : "; ").Append(leg.Name).Append(" by ").AppendJoin(", ", leg.Permits);
            first = false;
        }
        return text.ToString();
    }

    /// <summary>A forbid is the reason whenever there is one: it wins over everything else.</summary>
    private string DenyReason(LegResult[] results, ReadOnlySpan<MatchKind> seen)
    {
        var failed = -1;
        for (var i = 0; i < seen.Length && failed < 0; i++)
        {
            if ((seen[i] & MatchKind.Forbid) != 0)
                failed = i;
        }
        if (failed < 0)
            failed = Array.FindIndex(results, r => !r.Satisfied);
        var leg = results[failed];
        var agentId = mode == Decision.AgentOnlyMode ? request.Subject.Id
            : request.Action == WellKnownActions.AgentInvoke ? request.Resource.Id : request.AgentId;
        var reason = leg.Forbids.Count > 0
            ? $"forbidden by {string.Join(", ", leg.Forbids.Select(id => $"policy '{id}'"))} ({leg.Name})"
            : legs[failed] switch
            {
                LegKind.Invoke => $"{request.Subject.Type} '{request.Subject.Id}' may not invoke agent '{agentId}'",
                LegKind.AgentGrant => $"agent '{agentId}' holds no {mode} grant for '{request.Action}' on {request.Resource.Type} '{request.Resource.Id}'",
                _ => $"{request.Subject.Type} '{request.Subject.Id}' is not entitled to '{request.Action}' on {request.Resource.Type} '{request.Resource.Id}'"
                    + (mode == Decision.DirectMode ? " acting directly" : ""),
            };
        return leg.Notes.Count > 0 ? $"{reason} [{string.Join("; ", leg.Notes)}]" : reason;
    }

    private string[] Ids(int leg, MatchKind kind)
    {
        var count = 0;
        foreach (var m in matches)
        {
            if (m.Leg == leg && m.Kind == kind)
                count++;
        }
        if (count == 0)
            return [];
        var ids = new string[count];
        var i = 0;
        foreach (var m in matches)
        {
            if (m.Leg == leg && m.Kind == kind)
                ids[i++] = m.Policy.Policy.Id;
        }
        return ids;
    }

    private string[] NotesOf(int leg) => notes is null ? [] : [.. notes.Where(n => n.Leg == leg).Select(n => n.Text)];

    private static void AddDistinct(List<string> target, string[] ids)
    {
        foreach (var id in ids)
        {
            if (!target.Contains(id))
                target.Add(id);
        }
    }

    /// <summary>Row filters all apply (each kept); redactions are merged into one obligation (the union).</summary>
    private static IReadOnlyList<Obligation> MergeObligations(Match[] matches)
    {
        List<Obligation>? result = null;
        SortedSet<string>? fields = null, classifications = null, sources = null;
        foreach (var match in matches)
        {
            if (match.Kind != MatchKind.Permit)
                continue;
            foreach (var obligation in match.Policy.Policy.Obligations)
            {
                if (obligation.Type == ObligationTypes.Redact)
                {
                    fields ??= new(StringComparer.Ordinal);
                    classifications ??= new(StringComparer.Ordinal);
                    sources ??= new(StringComparer.Ordinal);
                    AddStrings(obligation.Properties, "fields", fields);
                    AddStrings(obligation.Properties, "classifications", classifications);
                    sources.Add(obligation.Id);
                }
                else
                {
                    result ??= [];
                    if (!result.Any(o => o.Id == obligation.Id))
                        result.Add(obligation);
                }
            }
        }
        if (fields is not null)
        {
            result ??= [];
            var properties = JsonSerializer.SerializeToElement(
                new Dictionary<string, SortedSet<string>> { ["fields"] = fields, ["classifications"] = classifications!, ["sources"] = sources! },
                EngineJsonContext.Default.DictionaryStringSortedSetString);
            result.Add(new Obligation("redact", ObligationTypes.Redact, properties));
        }
        return result ?? (IReadOnlyList<Obligation>)[];
    }

    private static void AddStrings(JsonElement properties, string name, SortedSet<string> target)
    {
        if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                    target.Add(item.GetString()!);
            }
        }
    }
}
