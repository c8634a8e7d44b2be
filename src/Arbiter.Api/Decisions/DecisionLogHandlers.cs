using System.Globalization;
using System.Text.Json.Serialization;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.DecisionLog;
using Arbiter.Engine.Decisions;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Decisions;

/// <summary>
/// Decision log queries for investigations (admin role): <c>GET manage/v1/decisions?from=&amp;to=&amp;agent=&amp;user=
/// &amp;resourceType=&amp;resource=&amp;action=&amp;decision=permit|deny&amp;pageSize=&amp;continuation=</c>, newest first,
/// always within the caller's tenant. "What did agent X reach last week", "who was denied tool Y".
/// </summary>
public sealed class DecisionLogHandlers(IDecisionLogQuery query, TimeProvider time)
{
    public const string Route = "manage/v1/decisions";

    public async Task<IResult> QueryAsync(HttpContext context, Caller caller, CancellationToken cancellationToken)
    {
        var q = context.Request.Query;
        var now = time.GetUtcNow();
        if (!TryTime(q["from"], now.AddDays(-1), out var from))
            return Problems.BadRequest("'from' must be an ISO 8601 timestamp", "from");
        if (!TryTime(q["to"], now.AddMinutes(1), out var to))
            return Problems.BadRequest("'to' must be an ISO 8601 timestamp", "to");
        bool? allowed = q["decision"].ToString() switch
        {
            "" => null,
            "permit" => true,
            "deny" => false,
            _ => null,
        };
        if (q["decision"].Count > 0 && q["decision"].ToString() is not ("" or "permit" or "deny"))
            return Problems.BadRequest("'decision' must be permit or deny", "decision");
        var pageSize = 100;
        if (q["pageSize"].Count > 0 && !int.TryParse(q["pageSize"], NumberStyles.None, CultureInfo.InvariantCulture, out pageSize))
            return Problems.BadRequest("'pageSize' must be a number", "pageSize");

        var filter = new DecisionLogQuery
        {
            From = from,
            To = to,
            AgentId = Value(q["agent"]),
            SubjectId = Value(q["user"]) ?? Value(q["subject"]),
            ResourceType = Value(q["resourceType"]),
            ResourceId = Value(q["resource"]),
            Action = Value(q["action"]),
            Allowed = allowed,
        };
        if (filter.Validate(pageSize) is { Count: > 0 } problems)
            return Problems.BadRequest(problems[0].Message, problems[0].Field);
        try
        {
            var page = await query.QueryAsync(caller.TenantId, filter, Value(q["continuation"]), pageSize, cancellationToken);
            return TypedResults.Json(new DecisionLogPageDto(page.Items, page.Continuation), DecisionLogWireContext.Default.DecisionLogPageDto);
        }
        catch (ArgumentException e)
        {
            return Problems.BadRequest(e.Message, e.ParamName);
        }
    }

    /// <summary>
    /// One decision with its whole explanation, by decision id — the way back from a minimal answer (or a caller's log
    /// line) to why. The id begins with its decision time, so the log is read around that moment only.
    /// </summary>
    public async Task<IResult> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!DecisionIds.TryParse(id, out var parts))
            return Problems.BadRequest("a decision id is 32 lower-case hex digits, as decisions report it", "id");
        // 48 bits of milliseconds reach past the last date there is; the window below must end before it too.
        if (parts.Millis > LatestDecisionMillis)
            return Problems.BadRequest("the decision id's time is past any date a decision can have", "id");
        var decided = DateTimeOffset.FromUnixTimeMilliseconds((long)parts.Millis);
        // The record's time is when it was logged: after the decision, within its latency and the log's hand-off.
        var filter = new DecisionLogQuery { From = decided.AddMinutes(-1), To = decided.AddMinutes(10), DecisionId = id };
        var page = await query.QueryAsync(caller.TenantId, filter, null, 1, cancellationToken);
        return page.Items.Count == 0
            ? Problems.NotFound($"no decision '{id}' in this tenant's log")
            : TypedResults.Json(page.Items[0], DecisionLogWireContext.Default.DecisionRecord);
    }

    private static readonly ulong LatestDecisionMillis = (ulong)DateTimeOffset.MaxValue.AddMinutes(-10).ToUnixTimeMilliseconds();

    private static string? Value(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 || values.ToString().Length == 0 ? null : values.ToString();

    private static bool TryTime(Microsoft.Extensions.Primitives.StringValues value, DateTimeOffset fallback, out DateTimeOffset result)
    {
        result = fallback;
        return value.Count == 0 || DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out result);
    }
}

public sealed record DecisionLogPageDto(
    [property: JsonPropertyName("items")] IReadOnlyList<DecisionRecord> Items,
    [property: JsonPropertyName("continuation")] string? Continuation);

[JsonSerializable(typeof(DecisionLogPageDto))]
[JsonSerializable(typeof(DecisionRecord))]
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
public sealed partial class DecisionLogWireContext : JsonSerializerContext;
