using System.Reflection;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arbiter.Server;

/// <summary>
/// Describes each route's wire types from its handler's declared result (<c>Results&lt;JsonHttpResult&lt;T&gt;, ...&gt;</c>):
/// <c>JsonHttpResult&lt;T&gt;</c> carries no OpenAPI metadata of its own, so without this the document would say "200 OK"
/// and nothing a client could check. A route that takes a JSON body (<see cref="JsonInput"/>, <see cref="Api.Decisions.DecisionInput"/>) gets its request body, and
/// every route its problem response (the edge answers 400/401/403/404/412/500/503 as RFC 9457 problems).
/// </summary>
internal sealed class OpenApiWireTypes : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var handler = context.Description.ActionDescriptor.EndpointMetadata.OfType<MethodInfo>().FirstOrDefault();
        if (handler is null)
            return;
        operation.Responses ??= [];
        foreach (var (status, type) in Results(Unwrap(handler.ReturnType)))
        {
            var schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
            operation.Responses[status] = new OpenApiResponse
            {
                Description = status == "200" ? "OK" : status,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        }
        if (handler.GetParameters().Any(p => p.ParameterType == typeof(JsonInput) || p.ParameterType == typeof(Api.Decisions.DecisionInput)))
        {
            var (what, schemaUrl) = BodyOf(context.Description.RelativePath ?? "");
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = what,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Description = schemaUrl is null ? what : $"{what} Its JSON Schema: {schemaUrl}.",
                            ExternalDocs = schemaUrl is null ? null : new OpenApiExternalDocs { Description = "JSON Schema", Url = new Uri(schemaUrl, UriKind.Relative) },
                        },
                    },
                },
            };
        }
        var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
        operation.Responses["default"] = new OpenApiResponse
        {
            Description = "A problem (RFC 9457): 400 names the field, 401/403 the caller, 404, 412 on an ETag mismatch, 503 when the store is unavailable",
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
        };
    }

    /// <summary>What a route's JSON body is, and the schema that describes it (served at /schemas/) when there is one.</summary>
    private static (string What, string? Schema) BodyOf(string route) => route switch
    {
        "manage/v1/policies" or "manage/v1/policies/{id}" or "manage/v1/policies/validate" => ("A policy document.", "/schemas/policy.schema.json"),
        "manage/v1/tenant/import" => ("A tenant file (arbiter-tenant/1).", "/schemas/tenant.schema.json"),
        "manage/v1/directory/{collection}/{id}" => ("A directory document of the collection's kind (user, group, agent, mcp-server, tool, data-resource).", "/schemas/{kind}.schema.json"),
        "manage/v1/whatif" => ("{policies, remove, evaluations, subject?, action?, resource?, context?} (README.md: admin bodies, what-if).", null),
        "manage/v1/replay" => ("{from, to, policies?, remove?, replace?, filters?, maxFlips?, maxRecords?} (README.md: admin bodies, replay).", null),
        "access/v1/evaluation" => ("An AuthZEN 1.0 evaluation request {subject, action, resource, context?}.", null),
        "access/v1/evaluations" => ("An AuthZEN 1.0 evaluations request {subject?, action?, resource?, context?, evaluations, options?}.", null),
        _ when route.StartsWith("access/v1/search/", StringComparison.Ordinal) => ("An AuthZEN 1.0 search request, paged with page {token, limit}.", null),
        _ => ("A JSON document (README.md).", null),
    };

    private static Type Unwrap(Type type) =>
        type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0]
            : type;

    /// <summary>The JSON bodies a declared result can carry, by status.</summary>
    private static IEnumerable<(string Status, Type Body)> Results(Type result)
    {
        var parts = result.IsGenericType && result.FullName?.StartsWith("Microsoft.AspNetCore.Http.HttpResults.Results`", StringComparison.Ordinal) == true
            ? result.GetGenericArguments()
            : [result];
        foreach (var part in parts)
        {
            if (part.IsGenericType && part.GetGenericTypeDefinition() == typeof(JsonHttpResult<>))
                yield return ("200", part.GetGenericArguments()[0]);
            else if (part.IsGenericType && part.GetGenericTypeDefinition() == typeof(Ok<>))
                yield return ("200", part.GetGenericArguments()[0]);
        }
    }
}
