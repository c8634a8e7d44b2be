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
        return From(context, await body.ReadAsync(context.Request, cancellationToken));
    }

    /// <summary>The input of a parsed document, disposed with the request; a body <see cref="JsonBody"/> refused becomes its problem (<see cref="Refused"/>).</summary>
    internal static JsonInput From(HttpContext context, (JsonDocument? Document, IResult? Error) parsed)
    {
        if (parsed.Error is not null)
            throw Refused(parsed.Error);
        context.Response.RegisterForDispose(parsed.Document!);
        return new JsonInput(parsed.Document!);
    }

    /// <summary>What the edge turns into the refused body's 4xx problem.</summary>
    internal static ProblemException Refused(IResult problem) => new(problem, "the request body was refused");
}
