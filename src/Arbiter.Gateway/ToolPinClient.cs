using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arbiter.Gateway;

/// <summary>
/// Reports what an upstream lists to Arbiter's tool-definition pins (<c>POST /manage/v1/tool-definitions/observe</c>,
/// evaluate role, the same endpoint and credential as the decisions) and reads each tool's state back. Any failure is
/// null: the caller fails closed, since it cannot tell a changed tool from a pinned one.
/// </summary>
public sealed partial class ToolPinClient(HttpClient http, ILogger<ToolPinClient> logger)
{
    public const string ObservePath = "manage/v1/tool-definitions/observe";

    /// <summary>Tool name → state (<c>pinned</c> or <c>changed</c>), or null when Arbiter could not answer.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ObserveAsync(string server, JsonArray tools, string requestId, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["server"] = server, ["tools"] = tools };
        using var message = new HttpRequestMessage(HttpMethod.Post, ObservePath) { Content = JsonContent.Create(body, GatewayJsonContext.Default.JsonObject) };
        message.Headers.TryAddWithoutValidation(Arbiter.Client.ArbiterClient.RequestIdHeader, requestId);
        try
        {
            using var response = await http.SendAsync(message, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogFailed(logger, server, $"HTTP {(int)response.StatusCode}");
                return null;
            }
            var answer = await response.Content.ReadFromJsonAsync(GatewayJsonContext.Default.JsonNode, cancellationToken);
            var states = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in answer as JsonArray ?? [])
            {
                if (item?["name"] is JsonValue n && n.TryGetValue<string>(out var name) && item["state"] is JsonValue s && s.TryGetValue<string>(out var state))
                    states[name] = state;
            }
            return states;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            LogFailed(logger, server, e.GetType().Name);
            return null;
        }
    }

    [LoggerMessage(EventId = 7221, Level = LogLevel.Warning, Message = "Gateway: tool definitions of {Server} could not be pinned ({Reason}); the list fails closed")]
    private static partial void LogFailed(ILogger logger, string server, string reason);
}
