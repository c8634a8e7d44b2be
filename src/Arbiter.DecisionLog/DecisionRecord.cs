using System.Text.Json.Serialization;
using Arbiter.Engine.Decisions;

namespace Arbiter.DecisionLog;

/// <summary>
/// One logged decision: who (subject, agent), did what (action) to what (resource), the answer and why (matched policies,
/// reasons, obligations), under which snapshot, how fast, and whether a shadow policy would have answered otherwise.
/// Only ids and the engine's own explanations: no tokens, no request bodies, no context or property values — except the
/// resource's MCP server (<see cref="ResourceServer"/>, the <c>server</c> the request names), an id like the tool's own.
/// <see cref="Id"/> is the decision id and the record's identity in every sink, so a retried write never duplicates it.
/// Made with a null <see cref="Id"/> only together with its <see cref="IdParts"/>.
/// </summary>
public sealed record DecisionRecord(
    string Id,
    DateTimeOffset Time,
    string TenantId,
    string? RequestId,
    string SubjectType,
    string SubjectId,
    string? AgentId,
    string Action,
    string ResourceType,
    string ResourceId,
    bool Allowed,
    string Mode,
    IReadOnlyList<string> MatchedPolicies,
    string ReasonAdmin,
    string ReasonUser,
    IReadOnlyList<ObligationRef> Obligations,
    long SnapshotVersion,
    long LatencyMicroseconds,
    bool ShadowWouldChange,
    IReadOnlyList<string> ShadowPolicies,
    string? ResourceServer = null)
{
    private readonly string? _idText = Id;
    private readonly DecisionIdParts _idParts;

    /// <summary>
    /// The decision id. A record made from the engine's decision holds the id's parts (<see cref="IdParts"/>) and writes
    /// the text when it is read: the journal, the group codec and the SQLite sink take the parts, so on their path the
    /// 32 characters are never made.
    /// </summary>
    public string Id
    {
        get => _idText ?? _idParts.ToString();
        init
        {
            _idText = value;
            _idParts = default;
        }
    }

    /// <summary>The id's parts when the record holds them instead of the text (see <see cref="Id"/>).</summary>
    [JsonIgnore]
    public DecisionIdParts? IdParts
    {
        get => _idText is null ? _idParts : null;
        init
        {
            if (value is { } parts)
            {
                _idParts = parts.IsValid ? parts : throw new ArgumentOutOfRangeException(nameof(value), "an id part past its width");
                _idText = null;
            }
        }
    }

    /// <summary>The id's text when the record holds it (null when it holds the parts).</summary>
    internal string? IdText => _idText;

    private readonly string _reasonText = ReasonAdmin;

    /// <summary>
    /// How the admin reason is held. A standard deny sentence (<see cref="Engine.Decisions.ReasonForm"/>) names only
    /// members of this record, so the record keeps the form and writes the sentence when <see cref="ReasonAdmin"/> is
    /// read; the journal and the group codec store the form. Not in the JSON form, which holds the sentence.
    /// </summary>
    [JsonIgnore]
    public ReasonForm ReasonForm { get; init; }

    /// <summary>The admin reason: the text given, or the sentence of <see cref="ReasonForm"/> (whose text is then empty).</summary>
    public string ReasonAdmin
    {
        get => ReasonForm == ReasonForm.Text
            ? _reasonText
            : ReasonSentences.Deny(ReasonForm, SubjectType, SubjectId, AgentId, Action, ResourceType, ResourceId, Mode);
        init => _reasonText = value;
    }

    /// <summary>
    /// The record of <paramref name="decision"/> answered for <paramref name="request"/>. <see cref="AgentId"/> is the acting
    /// agent in both modes: <c>context.agent</c> in principal context (the invoked agent for <c>agent.invoke</c>), the subject itself when an agent acts alone — so
    /// "what did agent X reach" is one filter. Obligations keep their id and type only (their properties may carry data).
    /// </summary>
    public static DecisionRecord From(string tenantId, string? requestId, DecisionRequest request, Decision decision, TimeSpan latency, DateTimeOffset time)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        // agent.invoke names the agent as its resource; "who reached agent X" is then the same filter.
        var agentId = request.AgentId
            ?? (request.Subject.Type == SubjectTypes.Agent ? request.Subject.Id : null)
            ?? (request.Action == Engine.Policies.WellKnownActions.AgentInvoke && request.Resource.Type == ResourceTypes.Agent ? request.Resource.Id : null);
        var obligations = Refs(decision.Obligations);
        // The sentence is kept as its form when this record's own members write it again, agent included.
        var form = decision.ReasonForm;
        if (form != ReasonForm.Text && !ReasonSentences.NamesSameAgent(form, decision.Mode, request, agentId))
            form = ReasonForm.Text;
        var idParts = decision.DecisionIdParts;
        return new DecisionRecord(
            idParts is null ? decision.DecisionId : null!,
            time,
            tenantId,
            string.IsNullOrEmpty(requestId) ? null : requestId,
            request.Subject.Type,
            request.Subject.Id,
            agentId,
            request.Action,
            request.Resource.Type,
            request.Resource.Id,
            decision.Allowed,
            decision.Mode,
            decision.MatchedPolicies,
            form == ReasonForm.Text ? decision.ReasonAdmin : "",
            decision.ReasonUser,
            obligations,
            decision.SnapshotVersion,
            (long)latency.TotalMicroseconds,
            decision.Shadow?.WouldChange ?? false,
            decision.Shadow?.Policies ?? [],
            ServerOf(request.Resource))
        {
            ReasonForm = form,
            IdParts = idParts,
        };
    }

    // A loop, not Select(...).ToArray(): that allocated an iterator besides the array, for every permit with obligations.
    private static IReadOnlyList<ObligationRef> Refs(IReadOnlyList<Engine.Policies.Obligation> obligations)
    {
        if (obligations.Count == 0)
        {
            return [];
        }

        var refs = new ObligationRef[obligations.Count];
        for (var i = 0; i < refs.Length; i++)
        {
            refs[i] = new ObligationRef(obligations[i].Id, obligations[i].Type);
        }

        return refs;
    }

    private static string? ServerOf(Entity resource) =>
        resource.Properties.ValueKind == System.Text.Json.JsonValueKind.Object
        && resource.Properties.TryGetProperty("server"u8, out var server) && server.ValueKind == System.Text.Json.JsonValueKind.String
            ? server.GetString()
            : null;
}

/// <summary>An obligation attached to a permit, by id and type only.</summary>
public sealed record ObligationRef(string Id, string Type);

/// <summary>The JSON of a record (spill files, the SQLite body column, the Cosmos item's <c>record</c> member).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DecisionRecord))]
[JsonSerializable(typeof(DecisionLogCursor))]
public sealed partial class DecisionLogJsonContext : JsonSerializerContext;
