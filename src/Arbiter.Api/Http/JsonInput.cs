using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Http;

/// <summary>
/// A handler's parsed JSON body (an object, strict: size, depth, duplicate members, undecodable strings refused by
/// <see cref="JsonBody"/>). Bound by the Kestrel endpoint (<see cref="BindAsync"/>) or by a function
/// (<see cref="ReadAsync"/>); disposed with the request.
/// </summary>
public sealed class JsonInput
{
    private JsonInput(JsonDocument document) => Document = document;

    public JsonDocument Document { get; }

    public JsonElement Root => Document.RootElement;

    /// <summary>Minimal API binding: a body that cannot be read becomes its 4xx problem through the edge.</summary>
    public static async ValueTask<JsonInput?> BindAsync(HttpContext context) =>
        await ReadAsync(context, context.RequestAborted);

    public static async Task<JsonInput> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var body = context.RequestServices.GetRequiredService<JsonBody>();
        var (document, error) = await body.ReadAsync(context.Request, cancellationToken);
        if (error is not null)
            throw new ProblemException(error, "the request body was refused");
        return From(context, document!);
    }

    /// <summary>The input of a parsed <paramref name="document"/>, disposed with the request.</summary>
    internal static JsonInput From(HttpContext context, JsonDocument document)
    {
        context.Response.RegisterForDispose(document);
        return new JsonInput(document);
    }
}
