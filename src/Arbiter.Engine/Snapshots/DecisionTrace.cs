using System.Runtime.CompilerServices;
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

/// <summary>
/// A policy that matched on one leg (the leg's position in the decision's leg list). <see cref="Repeat"/>: the same
/// policy matched on an earlier leg too, so the decision's list of distinct policies takes it from there.
/// </summary>
internal readonly record struct Match(int Leg, MatchKind Kind, CompiledPolicy Policy, bool Repeat = false);

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

    private void Set(int i, Match match)
    {
        if (i < InlineCapacity)
            _inline[i] = match;
        else
            _overflow![i - InlineCapacity] = match;
    }

    /// <summary>
    /// Adds a match unless the policy already matched on that leg (a policy naming two of the user's groups). The scan
    /// that finds that also marks which of two matches of one policy on different legs is the later one
    /// (<see cref="Match.Repeat"/>), whatever order the legs are evaluated in.
    /// </summary>
    public void Add(int leg, MatchKind kind, CompiledPolicy policy)
    {
        var repeat = false;
        for (var i = 0; i < Count; i++)
        {
            var m = this[i];
            if (!ReferenceEquals(m.Policy, policy))
                continue;
            if (m.Leg == leg)
                return;
            if (m.Leg < leg)
                repeat = true;
            else if (!m.Repeat)
                Set(i, m with { Repeat = true });
        }
        // The explanation reads the policy's id from it, and the evaluation has not touched the object (it rules on the
        // candidate's own fields): asked for now, the line is in the cache when every decision the log keeps is explained.
        CacheLine.Prefetch(policy, 0, 56);
        var match = new Match(leg, kind, policy, repeat);
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

    /// <summary>
    /// The explanation. What the decision log and a minimal answer read — the matched policies, the reason, the
    /// obligations, the shadow result — is written out here, straight from the matches; the legs (what only an explained
    /// answer shows) are written out when first read (<see cref="LegResults"/>).
    /// </summary>
    public Explanation Explain(bool allowed)
    {
        if (_deferredTo is not null)
        {
            var retraced = _deferredTo.Retrace(request, _now);
            return retraced.Explain(allowed).From(retraced);
        }

        Span<MatchKind> seen = stackalloc MatchKind[legs.Length];
        var anyShadow = false;
        foreach (var m in matches)
        {
            seen[m.Leg] |= m.Kind;
            anyShadow |= (m.Kind & (MatchKind.ShadowPermit | MatchKind.ShadowForbid)) != 0;
        }
        if (problem is not null)
            return new Explanation([], (ReasonForm.Text, "deny: " + problem), reasonUser, [], null);
        var matched = DistinctIds(MatchKind.Permit, MatchKind.Forbid);

        ShadowResult? shadow = null;
        if (anyShadow)
        {
            var shadowAllowed = true;
            for (var leg = 0; leg < legs.Length; leg++)
                shadowAllowed &= Legs.ShadowSatisfied(legs[leg], seen[leg]);
            shadow = new ShadowResult(shadowAllowed, shadowAllowed != allowed, DistinctIds(MatchKind.ShadowPermit, MatchKind.ShadowForbid));
        }
        return allowed
            ? new Explanation(matched, (ReasonForm.Text, PermitReason()), reasonUser, MergeObligations(matches), shadow)
            : new Explanation(matched, DenyReason(seen), reasonUser, [], shadow);
    }

    /// <summary>Each leg: its name, whether it holds, its permits, forbids and notes.</summary>
    public LegResult[] LegResults()
    {
        Span<MatchKind> seen = stackalloc MatchKind[legs.Length];
        foreach (var m in matches)
            seen[m.Leg] |= m.Kind;
        var results = new LegResult[legs.Length];
        for (var leg = 0; leg < legs.Length; leg++)
            results[leg] = new LegResult(Legs.Name(legs[leg]), Legs.Satisfied(legs[leg], seen[leg]), Ids(leg, MatchKind.Permit), Ids(leg, MatchKind.Forbid), NotesOf(leg));
        return results;
    }

    /// <summary>
    /// "permit: user-invokes-agent by p1; agent-grant by p2, p3; ..." — each leg with the permits that satisfied it.
    /// Measured, then written into one string of that length: it is made for every permit the log keeps.
    /// </summary>
    private string PermitReason()
    {
        const string Head = "permit: ", LegSeparator = "; ", By = " by ", IdSeparator = ", ";
        var length = Head.Length;
        var first = true;
        for (var leg = 0; leg < legs.Length; leg++)
        {
            var count = 0;
            foreach (var m in matches)
            {
                if (m.Leg == leg && m.Kind == MatchKind.Permit)
                {
                    length += m.Policy.Id.Length;
                    count++;
                }
            }
            if (count == 0)
                continue;
            length += (first ? 0 : LegSeparator.Length) + Legs.Name(legs[leg]).Length + By.Length + IdSeparator.Length * (count - 1);
            first = false;
        }
        return string.Create(length, (legs, matches), static (span, state) =>
        {
            var at = Append(span, 0, Head);
            var first = true;
            for (var leg = 0; leg < state.legs.Length; leg++)
            {
                var count = 0;
                foreach (var m in state.matches)
                {
                    if (m.Leg != leg || m.Kind != MatchKind.Permit)
                        continue;
                    if (count++ == 0)
                        at = Append(span, Append(span, first ? at : Append(span, at, LegSeparator), Legs.Name(state.legs[leg])), By);
                    else
                        at = Append(span, at, IdSeparator);
                    at = Append(span, at, m.Policy.Id);
                }
                first &= count == 0;
            }
        });
    }

    private static int Append(Span<char> span, int at, string text)
    {
        text.CopyTo(span[at..]);
        return at + text.Length;
    }

    /// <summary>
    /// The deny's reason. A forbid is the reason whenever there is one: it wins over everything else. Otherwise the
    /// failing leg's standard sentence as its form alone (written when read, see <see cref="ReasonSentences"/>), or as
    /// text when it carries the leg's notes.
    /// </summary>
    private (ReasonForm Form, string? Text) DenyReason(ReadOnlySpan<MatchKind> seen)
    {
        var failed = -1;
        for (var i = 0; i < seen.Length && failed < 0; i++)
        {
            if ((seen[i] & MatchKind.Forbid) != 0)
                failed = i;
        }
        for (var i = 0; i < seen.Length && failed < 0; i++)
        {
            if (!Legs.Satisfied(legs[i], seen[i]))
                failed = i;
        }
        var forbids = Ids(failed, MatchKind.Forbid);
        var legNotes = NotesOf(failed);
        // One interpolation per sentence, "deny: " and the notes included: a deny's reason is one string, not three.
        var notesText = legNotes.Length > 0 ? $" [{string.Join("; ", legNotes)}]" : "";
        if (forbids.Length > 0)
        {
            // One handler for the whole sentence: a Select and a Join made an iterator, a string per policy and one more.
            var text = new DefaultInterpolatedStringHandler(40, 2);
            text.AppendLiteral("deny: forbidden by ");
            for (var i = 0; i < forbids.Length; i++)
            {
                text.AppendLiteral(i == 0 ? "policy '" : ", policy '");
                text.AppendFormatted(forbids[i]);
                text.AppendLiteral("'");
            }
            text.AppendLiteral(" (");
            text.AppendFormatted(Legs.Name(legs[failed]));
            text.AppendLiteral(")");
            text.AppendFormatted(notesText);
            return (ReasonForm.Text, text.ToStringAndClear());
        }
        var form = legs[failed] switch
        {
            LegKind.Invoke => ReasonForm.MayNotInvoke,
            LegKind.AgentGrant => ReasonForm.NoGrant,
            _ => ReasonForm.NotEntitled,
        };
        return legNotes.Length == 0 ? (form, null) : (ReasonForm.Text, Sentence(form) + notesText);
    }

    /// <summary>The standard deny sentence of <paramref name="form"/> for this trace's request.</summary>
    public string Sentence(ReasonForm form) => ReasonSentences.Deny(form, request.Subject.Type, request.Subject.Id,
        ReasonSentences.AgentOf(mode, request), request.Action, request.Resource.Type, request.Resource.Id, mode);

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
                ids[i++] = m.Policy.Id;
        }
        return ids;
    }

    /// <summary>
    /// The ids of the policies matched as <paramref name="first"/>, then as <paramref name="second"/>, leg by leg, each
    /// once: a policy that matched on several legs is listed at the first (<see cref="Match.Repeat"/> marks the others;
    /// a policy's kind is the same on every leg, so its first match is taken whenever a later one would be). The time a
    /// batch's profile showed here was the load of each match's policy object, not the loops: the id is on
    /// <see cref="CompiledPolicy"/> itself, whose line <see cref="MatchList.Add"/> asks for.
    /// </summary>
    private string[] DistinctIds(MatchKind first, MatchKind second)
    {
        // Two passes, not one per leg and kind: count each (leg, kind)'s place, then put every id at its place.
        Span<int> at = stackalloc int[2 * legs.Length + 1];
        foreach (var m in matches)
        {
            if (!m.Repeat && (m.Kind == first || m.Kind == second) && m.Leg < legs.Length)
                at[2 * m.Leg + (m.Kind == first ? 0 : 1) + 1]++;
        }
        for (var i = 1; i < at.Length; i++)
            at[i] += at[i - 1];
        var count = at[^1];
        if (count == 0)
            return [];
        var ids = new string[count];
        foreach (var m in matches)
        {
            if (!m.Repeat && (m.Kind == first || m.Kind == second) && m.Leg < legs.Length)
                ids[at[2 * m.Leg + (m.Kind == first ? 0 : 1)]++] = m.Policy.Id;
        }
        return ids;
    }

    // A loop, not a lambda: a lambda capturing the leg allocated its closure on every call, notes or none.
    private string[] NotesOf(int leg)
    {
        if (notes is null)
            return [];
        var count = 0;
        foreach (var note in notes)
        {
            if (note.Leg == leg)
                count++;
        }
        if (count == 0)
            return [];
        var texts = new string[count];
        var i = 0;
        foreach (var note in notes)
        {
            if (note.Leg == leg)
                texts[i++] = note.Text;
        }
        return texts;
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
            foreach (var obligation in match.Policy.Obligations)
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
