using System.Text.Json;
using System.Text.Json.Serialization;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Api.Decisions;

/// <summary>
/// AuthZEN 1.0 evaluation response: <c>{"decision": bool}</c>, with a <c>context</c> only for what the caller must act on
/// (obligations, an item error) or the explanation when asked for (docs/open-world.md "Responses").
/// </summary>
public sealed record EvaluationResponse(
    [property: JsonPropertyName("decision")] bool Decision,
    [property: JsonPropertyName("context"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DecisionContext? Context)
{
    private static readonly EvaluationResponse Permit = new(true, null);
    private static readonly EvaluationResponse Deny = new(false, null);

    /// <summary>The answer as <paramref name="explain"/> asks: the whole explanation, or the minimal decision and its obligations.</summary>
    public static EvaluationResponse From(Decision d, bool explain) => explain ? Explained(d) : Minimal(d);

    /// <summary>What a minimal PEP acts on: the decision, and a permit's obligations.</summary>
    public static EvaluationResponse Minimal(Decision d)
    {
        if (!d.Allowed)
            return Deny;
        var obligations = d.Obligations;
        return obligations.Count == 0 ? Permit : new(true, new DecisionContext(null, null, null, null, null, null,
            [.. obligations.Select(o => new ObligationDto(o.Id, o.Type, o.Properties))], null, null, null));
    }

    public static EvaluationResponse Explained(Decision d) => new(d.Allowed, new DecisionContext(
        d.DecisionId,
        PolicySnapshot.VersionName(d.SnapshotVersion),
        d.Mode,
        d.MatchedPolicies,
        new Dictionary<string, string> { ["en"] = d.ReasonAdmin },
        new Dictionary<string, string> { [d.Allowed ? "en" : "en-403"] = d.ReasonUser },
        d.Obligations.Count == 0 ? null : [.. d.Obligations.Select(o => new ObligationDto(o.Id, o.Type, o.Properties))],
        d.Legs.Count == 0 ? null : [.. d.Legs.Select(l => new LegDto(l.Name, l.Satisfied, l.Permits, l.Forbids, l.Notes.Count == 0 ? null : l.Notes))],
        d.Shadow is null ? null : new ShadowDto(d.Shadow.Decision, d.Shadow.WouldChange, d.Shadow.Policies),
        null));

    public static EvaluationResponse Error(string message, string? field) =>
        new(false, new DecisionContext(null, null, null, null, null, null, null, null, null, new ErrorDto(400, message, field)));
}

/// <summary>The decision's explanation. <c>reason_admin</c>/<c>reason_user</c> follow the spec's language-keyed form.</summary>
public sealed record DecisionContext(
    [property: JsonPropertyName("decision_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DecisionId,
    [property: JsonPropertyName("snapshot_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SnapshotVersion,
    [property: JsonPropertyName("mode"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Mode,
    [property: JsonPropertyName("policies"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Policies,
    [property: JsonPropertyName("reason_admin"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? ReasonAdmin,
    [property: JsonPropertyName("reason_user"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? ReasonUser,
    [property: JsonPropertyName("obligations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ObligationDto>? Obligations,
    [property: JsonPropertyName("legs"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LegDto>? Legs,
    [property: JsonPropertyName("shadow"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ShadowDto? Shadow,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ErrorDto? Error);

public sealed record ObligationDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("properties")] JsonElement Properties);

public sealed record LegDto(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("satisfied")] bool Satisfied,
    [property: JsonPropertyName("permits")] IReadOnlyList<string> Permits,
    [property: JsonPropertyName("forbids")] IReadOnlyList<string> Forbids,
    [property: JsonPropertyName("notes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Notes);

public sealed record ShadowDto(
    [property: JsonPropertyName("decision")] bool Decision,
    [property: JsonPropertyName("would_change")] bool WouldChange,
    [property: JsonPropertyName("policies")] IReadOnlyList<string> Policies);

public sealed record ErrorDto(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field);

public sealed record EvaluationsResponse([property: JsonPropertyName("evaluations")] IReadOnlyList<EvaluationResponse> Evaluations);

public sealed record EntityDto([property: JsonPropertyName("type")] string Type, [property: JsonPropertyName("id")] string Id);

public sealed record ActionDto([property: JsonPropertyName("name")] string Name);

public sealed record PageDto(
    [property: JsonPropertyName("next_token")] string NextToken,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("total")] int Total);

/// <summary>A search answer; <c>page</c> comes first, so a reader can stream the results after it.</summary>
public sealed record EntitySearchResponse(
    [property: JsonPropertyName("page")] PageDto Page,
    [property: JsonPropertyName("results")] IReadOnlyList<EntityDto> Results);

public sealed record ActionSearchResponse(
    [property: JsonPropertyName("page")] PageDto Page,
    [property: JsonPropertyName("results")] IReadOnlyList<ActionDto> Results);

/// <summary>PDP metadata served at <c>/.well-known/authzen-configuration</c>.</summary>
public sealed record PdpConfiguration(
    [property: JsonPropertyName("policy_decision_point")] string PolicyDecisionPoint,
    [property: JsonPropertyName("access_evaluation_endpoint")] string AccessEvaluationEndpoint,
    [property: JsonPropertyName("access_evaluations_endpoint")] string AccessEvaluationsEndpoint,
    [property: JsonPropertyName("search_subject_endpoint")] string SearchSubjectEndpoint,
    [property: JsonPropertyName("search_resource_endpoint")] string SearchResourceEndpoint,
    [property: JsonPropertyName("search_action_endpoint")] string SearchActionEndpoint,
    [property: JsonPropertyName("capabilities")] IReadOnlyList<string> Capabilities,
    [property: JsonPropertyName("arbiter_capabilities")] IReadOnlyList<string> ArbiterCapabilities);

[JsonSerializable(typeof(EvaluationResponse))]
[JsonSerializable(typeof(EvaluationsResponse))]
[JsonSerializable(typeof(EntitySearchResponse))]
[JsonSerializable(typeof(ActionSearchResponse))]
[JsonSerializable(typeof(PdpConfiguration))]
[JsonSerializable(typeof(Admin.DocumentDto))]
[JsonSerializable(typeof(Admin.DocumentListDto))]
[JsonSerializable(typeof(Admin.ValidationDto))]
[JsonSerializable(typeof(List<Arbiter.Runtime.Policies.PolicyVersion>))]
[JsonSerializable(typeof(Admin.WhatIfDto))]
[JsonSerializable(typeof(Admin.ImportDto))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
public sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>The wire context: web defaults, and quotes in reasons left readable (responses are JSON, never HTML).</summary>
    public static ApiJsonContext Wire { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
