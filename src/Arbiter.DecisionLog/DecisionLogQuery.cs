using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbiter.DecisionLog;

/// <summary>
/// What an investigation asks for: a time range (required, at most <see cref="MaxRange"/>) and any of the filters, all
/// combined with AND. "What did agent X reach last week": <see cref="AgentId"/> + range. "Who was denied tool Y":
/// <see cref="ResourceType"/> <c>tool</c> + <see cref="ResourceId"/> Y + <see cref="Allowed"/> false.
/// </summary>
public sealed record DecisionLogQuery
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);
    public const int MaxPageSize = 1000;

    /// <summary>Inclusive start.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>Exclusive end.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>The acting agent (principal context or agent-only).</summary>
    public string? AgentId { get; init; }

    /// <summary>The subject: a user id (or an agent id in agent-only mode).</summary>
    public string? SubjectId { get; init; }

    public string? SubjectType { get; init; }

    public string? ResourceType { get; init; }

    /// <summary>The tool, data resource, agent... the decision was about.</summary>
    public string? ResourceId { get; init; }

    public string? Action { get; init; }

    /// <summary>One decision, by its id (<c>GET manage/v1/decisions/{id}</c>).</summary>
    public string? DecisionId { get; init; }

    /// <summary>true: permits only; false: denies only; null: both.</summary>
    public bool? Allowed { get; init; }

    /// <summary>
    /// Whether <paramref name="record"/> answers this query (every filter, the time range) and sorts strictly before
    /// <paramref name="after"/> in (time, id) order: how a sink filters the records of a group it has decoded. The tenant
    /// is the sink's to check (a group holds one tenant's records).
    /// </summary>
    public bool Matches(DecisionRecord record, DecisionLogCursor? after)
    {
        var ticks = record.Time.UtcTicks;
        return ticks >= From.UtcTicks && ticks < To.UtcTicks
            && (after is null || ticks < after.TimeTicks || (ticks == after.TimeTicks && string.CompareOrdinal(record.Id, after.Id) < 0))
            && (DecisionId is null || record.Id == DecisionId)
            && (AgentId is null || record.AgentId == AgentId)
            && (SubjectId is null || record.SubjectId == SubjectId)
            && (SubjectType is null || record.SubjectType == SubjectType)
            && (ResourceId is null || record.ResourceId == ResourceId)
            && (ResourceType is null || record.ResourceType == ResourceType)
            && (Action is null || record.Action == Action)
            && (Allowed is null || record.Allowed == Allowed);
    }

    /// <summary>Newest first in (time, id) order, the order of every page.</summary>
    public static int NewestFirst(DecisionRecord a, DecisionRecord b)
    {
        var byTime = b.Time.UtcTicks.CompareTo(a.Time.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.Id, a.Id);
    }

    /// <summary>Problems (field, message) with the query and the page size; empty when the query can run.</summary>
    public IReadOnlyList<DecisionLogQueryProblem> Validate(int pageSize)
    {
        var problems = new List<DecisionLogQueryProblem>();
        if (To <= From)
        {
            problems.Add(new("to", "'to' must be after 'from'"));
        }
        else if (To - From > MaxRange)
        {
            problems.Add(new("to", $"the time range must not exceed {MaxRange.TotalDays.ToString(CultureInfo.InvariantCulture)} days"));
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            problems.Add(new("pageSize", $"the page size must be between 1 and {MaxPageSize}"));
        }

        return problems;
    }
}

public sealed record DecisionLogQueryProblem(string Field, string Message);

/// <summary>One page, newest first. <see cref="Continuation"/> is null on the last page.</summary>
public sealed record DecisionLogPage(IReadOnlyList<DecisionRecord> Items, string? Continuation);

/// <summary>Reads the decision log (admin API). Every query is scoped to one tenant.</summary>
public interface IDecisionLogQuery
{
    /// <summary>
    /// A page of decisions of <paramref name="tenantId"/> matching <paramref name="query"/>, newest first.
    /// An invalid query (see <see cref="DecisionLogQuery.Validate"/>) or a continuation not made by this log throws
    /// <see cref="ArgumentException"/>; the store being down throws its unavailable exception.
    /// </summary>
    Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, string? continuation, int pageSize, CancellationToken cancellationToken = default);
}

/// <summary>
/// Keyset position: the last record returned (time, id). The next page is everything strictly older in (time, id)
/// order, so paging is stable while new decisions arrive. Opaque to callers: base64url JSON.
/// </summary>
public sealed record DecisionLogCursor(
    [property: JsonPropertyName("t")] long TimeTicks,
    [property: JsonPropertyName("i")] string Id)
{
    public static DecisionLogCursor After(DecisionRecord last) => new(last.Time.UtcTicks, last.Id);

    public DateTimeOffset Time => new(TimeTicks, TimeSpan.Zero);

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this, DecisionLogJsonContext.Default.DecisionLogCursor));

    public static DecisionLogCursor? Decode(string? continuation)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            return null;
        }

        try
        {
            var cursor = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(continuation), DecisionLogJsonContext.Default.DecisionLogCursor);
            if (cursor is null || string.IsNullOrEmpty(cursor.Id) || cursor.TimeTicks < DateTimeOffset.MinValue.UtcTicks || cursor.TimeTicks > DateTimeOffset.MaxValue.UtcTicks)
            {
                throw new ArgumentException("Not a continuation of the decision log.", nameof(continuation));
            }

            return cursor;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new ArgumentException("Not a continuation of the decision log.", nameof(continuation), ex);
        }
    }
}
