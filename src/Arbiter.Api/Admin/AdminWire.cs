using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Arbiter.Api.Decisions;
using Arbiter.Engine.Policies;

namespace Arbiter.Api.Admin;

public sealed record DocumentDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("etag")] string ETag,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("body")] JsonElement Body);

public sealed record DocumentListDto(
    [property: JsonPropertyName("items")] IReadOnlyList<DocumentDto> Items,
    [property: JsonPropertyName("continuation")] string? Continuation);

public sealed record ProblemDto([property: JsonPropertyName("path")] string Path, [property: JsonPropertyName("message")] string Message)
{
    public static ProblemDto From(Problem p) => new(p.Path, p.Message);
}

public sealed record ValidationDto(
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("problems")] IReadOnlyList<ProblemDto> Problems);

public sealed record WhatIfItemDto(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("current")] EvaluationResponse Current,
    [property: JsonPropertyName("proposed")] EvaluationResponse Proposed,
    [property: JsonPropertyName("changed")] bool Changed);

public sealed record WhatIfDto(
    [property: JsonPropertyName("changed")] int Changed,
    [property: JsonPropertyName("results")] IReadOnlyList<WhatIfItemDto> Results,
    [property: JsonPropertyName("problems")] IReadOnlyList<ProblemDto> Problems);

public sealed record ImportDto(
    [property: JsonPropertyName("written")] int Written,
    [property: JsonPropertyName("problems")] IReadOnlyList<ProblemDto> Problems);
