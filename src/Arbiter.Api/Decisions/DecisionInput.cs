using Arbiter.Api.Http;
using Arbiter.Engine.Decisions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Decisions;

/// <summary>
/// The body of an evaluation request (single or batch). Read in one pass from its bytes (<see cref="Read"/>) when it
/// has the shape every client sends; otherwise, or when a handler needs more, as the strict document every handler reads
/// (<see cref="Json"/>), which refuses it with the same problems as before. Bound by the Kestrel endpoint
/// (<see cref="BindAsync"/>) or by a function (<see cref="ReadAsync"/>).
/// </summary>
public sealed class DecisionInput
{
    private readonly HttpRequest _request;
    private readonly JsonBody _body;
    private readonly JsonBody.RawBody _bytes;
    private JsonInput? _json;

    private DecisionInput(HttpRequest request, JsonBody body, JsonBody.RawBody bytes, EvaluationBody? read, JsonInput? json)
    {
        _request = request;
        _body = body;
        _bytes = bytes;
        Read = read;
        _json = json;
    }

    /// <summary>The body as the one-pass reader read it; null when it did not (the strict document is then read).</summary>
    public EvaluationBody? Read { get; }

    /// <summary>
    /// The strict document of the body, parsed when first asked for after a one-pass reading. The bytes are held already
    /// (<see cref="JsonBody.Hold"/>), registered before the document, so the document is disposed before they go back.
    /// </summary>
    public JsonInput Json => _json ??= JsonInput.From(_request.HttpContext, _body.Parse(_request, _bytes.Borrowed()));

    public static async ValueTask<DecisionInput?> BindAsync(HttpContext context) =>
        await ReadAsync(context, context.RequestAborted);

    public static async Task<DecisionInput> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var body = context.RequestServices.GetRequiredService<JsonBody>();
        var (bytes, error) = await body.ReadBytesAsync(context.Request, cancellationToken);
        if (error is not null)
            throw JsonInput.Refused(error);
        if (body.TryReadEvaluation(bytes) is { } read)
        {
            JsonBody.Hold(context.Request, bytes);
            return new DecisionInput(context.Request, body, bytes, read, null);
        }
        return new DecisionInput(context.Request, body, default, null, JsonInput.From(context, body.Parse(context.Request, bytes)));
    }
}
