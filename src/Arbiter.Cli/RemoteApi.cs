using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;

namespace Arbiter.Cli;

/// <summary>An answer of the server: status, body as JSON (null when there is none or it is not JSON), ETag.</summary>
internal sealed record RemoteReply(HttpStatusCode Status, JsonElement? Json, string Text, string? ETag)
{
    public bool Ok => (int)Status is >= 200 and < 300;

    /// <summary>The problem the server answered, in one line: status, detail, and the field or pointer it names.</summary>
    public string Problem()
    {
        var line = $"{(int)Status} {Status}";
        if (Json is { ValueKind: JsonValueKind.Object } p)
        {
            if (p.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
                line += $": {detail.GetString()}";
            if (p.TryGetProperty("field", out var field) && field.ValueKind == JsonValueKind.String && field.GetString() is { Length: > 0 } f)
                line += $" ({f})";
        }
        else if (Text.Length > 0)
        {
            line += $": {(Text.Length > 200 ? Text[..200] + "..." : Text)}";
        }
        return line;
    }
}

/// <summary>
/// The admin API of a running deployment, for the remote commands. Authentication: with a scope (<c>--scope</c>, e.g.
/// <c>api://arbiter/.default</c>) each request carries an Entra ID token from <see cref="DefaultAzureCredential"/>
/// (Azure CLI login, managed identity, environment); without one, none — what a Development-mode server on loopback
/// expects. A server that cannot be reached is an <see cref="HttpRequestException"/>: one line and exit 2 from the runner.
/// </summary>
internal sealed class RemoteApi : IDisposable
{
    public const string AdminPrefix = "manage/v1";

    private readonly HttpClient _http;
    private readonly string? _scope;
    private readonly TokenCredential? _credential;

    public RemoteApi(Uri server, string? scope)
    {
        _http = new HttpClient { BaseAddress = new Uri(server.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(10) };
        _scope = scope;
        _credential = scope is null ? null : new DefaultAzureCredential();
    }

    public Task<RemoteReply> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    public Task<RemoteReply> PostAsync(string path, object? body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, body, null, cancellationToken);

    public async Task<RemoteReply> SendAsync(HttpMethod method, string path, object? body, string? ifMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            var json = body is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(body, body.GetType(), RemoteJson.Options);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (_credential is not null)
        {
            var token = await _credential.GetTokenAsync(new TokenRequestContext([_scope!]), cancellationToken);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        }
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement? parsed = null;
        if (text.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                parsed = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's error page): kept as text for the message.
            }
        }
        return new RemoteReply(response.StatusCode, parsed, text, response.Headers.ETag?.Tag);
    }

    public void Dispose() => _http.Dispose();
}
