using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Arbiter.Client;

// AuthZEN 1.0 request and response shapes as sent and read by the client. Decision responses are read by
// DecisionReader (leniently, member by member) so that an unreadable answer becomes a deny, never an exception.

/// <summary>Who asks: <c>{type, id, properties}</c>. A subject search leaves <see cref="Id"/> out.</summary>
public sealed record Subject(string Type, string? Id = null, JsonObject? Properties = null);

/// <summary>What is asked for: <c>{type, id, properties}</c>. A resource search leaves <see cref="Id"/> out.</summary>
public sealed record Resource(string Type, string? Id = null, JsonObject? Properties = null);

/// <summary>The action: <c>{name, properties}</c>.</summary>
public sealed record AccessAction(string Name, JsonObject? Properties = null);

/// <summary><c>POST /access/v1/evaluation</c>. In principal context <see cref="Context"/> names the agent (<c>context.agent</c>).</summary>
public sealed record EvaluationRequest(Subject Subject, AccessAction Action, Resource Resource, JsonObject? Context = null, EvaluationOptions? Options = null);

/// <summary><c>options.explain</c>: ask for the explanation (decision id, reasons) beside the decision.</summary>
public sealed record EvaluationOptions(bool? Explain = null);

/// <summary>One item of a batch; members left null take the batch's defaults.</summary>
public sealed record EvaluationItem(Subject? Subject = null, AccessAction? Action = null, Resource? Resource = null, JsonObject? Context = null);

/// <summary><c>options.evaluations_semantic</c>: <c>execute_all</c>, <c>deny_on_first_deny</c>, <c>permit_on_first_permit</c>.</summary>
public sealed record EvaluationsOptions(string EvaluationsSemantic = EvaluationsSemantics.ExecuteAll, bool? Explain = null);

public static class EvaluationsSemantics
{
    public const string ExecuteAll = "execute_all";
    public const string DenyOnFirstDeny = "deny_on_first_deny";
    public const string PermitOnFirstPermit = "permit_on_first_permit";
}

/// <summary><c>POST /access/v1/evaluations</c>: top-level members are defaults each item may override.</summary>
public sealed record EvaluationsRequest(
    IReadOnlyList<EvaluationItem> Evaluations,
    Subject? Subject = null,
    AccessAction? Action = null,
    Resource? Resource = null,
    JsonObject? Context = null,
    EvaluationsOptions? Options = null);

/// <summary>Paging of the searches: the token of the page to read and how many results at most.</summary>
public sealed record PageRequest(string? Token = null, int? Limit = null);

/// <summary><c>POST /access/v1/search/subject</c>: which subjects of <c>subject.type</c> would be permitted.</summary>
public sealed record SubjectSearchRequest(Subject Subject, AccessAction Action, Resource Resource, JsonObject? Context = null, PageRequest? Page = null);

/// <summary><c>POST /access/v1/search/resource</c>: which resources of <c>resource.type</c> would be permitted.</summary>
public sealed record ResourceSearchRequest(Subject Subject, AccessAction Action, Resource Resource, JsonObject? Context = null, PageRequest? Page = null);

/// <summary><c>POST /access/v1/search/action</c>: which actions would be permitted.</summary>
public sealed record ActionSearchRequest(Subject Subject, Resource Resource, JsonObject? Context = null, PageRequest? Page = null);

/// <summary>A search answer page: <c>next_token</c> is empty on the last page.</summary>
public sealed record PageResponse(string? NextToken, int? Count, int? Total);

public sealed record SubjectSearchResponse(IReadOnlyList<Subject>? Results, PageResponse? Page);

public sealed record ResourceSearchResponse(IReadOnlyList<Resource>? Results, PageResponse? Page);

public sealed record ActionSearchResponse(IReadOnlyList<AccessAction>? Results, PageResponse? Page);

/// <summary>PDP metadata at <c>/.well-known/authzen-configuration</c>.</summary>
public sealed record PdpMetadata(
    string? PolicyDecisionPoint,
    string? AccessEvaluationEndpoint,
    string? AccessEvaluationsEndpoint,
    string? SearchSubjectEndpoint,
    string? SearchResourceEndpoint,
    string? SearchActionEndpoint,
    IReadOnlyList<string>? Capabilities);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EvaluationRequest))]
[JsonSerializable(typeof(EvaluationsRequest))]
[JsonSerializable(typeof(SubjectSearchRequest))]
[JsonSerializable(typeof(ResourceSearchRequest))]
[JsonSerializable(typeof(ActionSearchRequest))]
[JsonSerializable(typeof(SubjectSearchResponse))]
[JsonSerializable(typeof(ResourceSearchResponse))]
[JsonSerializable(typeof(ActionSearchResponse))]
[JsonSerializable(typeof(PdpMetadata))]
public sealed partial class ArbiterClientJsonContext : JsonSerializerContext;
