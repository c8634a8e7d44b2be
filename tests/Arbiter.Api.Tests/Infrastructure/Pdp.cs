using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>A response read whole: status, headers and the JSON body (when there is one).</summary>
public sealed record Reply(HttpStatusCode Status, HttpResponseHeaders Headers, string? ContentType, string Text)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement.Clone();

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}

public static class Pdp
{
    public const string Evaluation = "/access/v1/evaluation";
    public const string Evaluations = "/access/v1/evaluations";
    public const string SearchSubject = "/access/v1/search/subject";
    public const string SearchResource = "/access/v1/search/resource";
    public const string SearchAction = "/access/v1/search/action";
    public const string Configuration = "/.well-known/authzen-configuration";

    public static Task<Reply> PostAsync(this HttpClient client, string path, string body, string contentType = "application/json",
        string? bearer = null, string? requestId = null) =>
        client.SendAsync(path, new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)), bearer, requestId);

    public static Task<Reply> PostAsync(this HttpClient client, string path, object body, string? bearer = null, string? requestId = null) =>
        client.PostAsync(path, JsonSerializer.Serialize(body), bearer: bearer, requestId: requestId);

    public static async Task<Reply> SendAsync(this HttpClient client, string path, HttpContent? content, string? bearer = null, string? requestId = null,
        HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = content };
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (requestId is not null)
            request.Headers.TryAddWithoutValidation("X-Request-ID", requestId);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, response.Headers, response.Content.Headers.ContentType?.MediaType, text);
    }

    public static async Task<Reply> GetReplyAsync(this HttpClient client, string path, string? requestId = null) =>
        await client.SendAsync(path, null, requestId: requestId, method: HttpMethod.Get);

    /// <summary>
    /// An AuthZEN evaluation request; <paramref name="agent"/> puts the acting agent in <c>context.agent</c>. These tests
    /// read the explanation, so the request asks for it (<c>options.explain</c>) unless <paramref name="explain"/> is false.
    /// </summary>
    public static Dictionary<string, object?> Request(string subjectId, string action, string resourceType, string resourceId,
        string? agent = null, string subjectType = "user", Dictionary<string, object?>? context = null, bool explain = true)
    {
        context ??= [];
        if (agent is not null)
            context["agent"] = new { type = "agent", id = agent };
        var request = new Dictionary<string, object?>
        {
            ["subject"] = new { type = subjectType, id = subjectId },
            ["action"] = new { name = action },
            ["resource"] = new { type = resourceType, id = resourceId },
        };
        if (context.Count > 0)
            request["context"] = context;
        if (explain)
            request["options"] = new { explain = true };
        return request;
    }

    public static bool Decision(this Reply reply) => reply.Json.GetProperty("decision").GetBoolean();
}
