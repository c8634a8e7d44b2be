using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using Arbiter.Mcp;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;

namespace Arbiter.Gateway;

/// <summary>
/// Acts on the upstream's answer to a request the gateway let through (<see cref="McpExchange"/>): a list keeps only the
/// items the caller may use, a tool result loses the fields its permit redacts. Both answer shapes of Streamable HTTP
/// are handled: a JSON body (read whole, bounded) and an SSE stream (event by event, flushed as they come, so progress
/// notifications and the server's own requests still flow). Only the event that answers the request is changed; an
/// answer that cannot be read or redacted is withheld, never passed on.
/// </summary>
public sealed partial class McpResponseRewriter(IOptions<GatewayOptions> options, ToolPinCache pins, ILogger<McpResponseRewriter> logger)
{
    private readonly GatewayOptions _options = options.Value;

    public async ValueTask TransformAsync(ResponseTransformContext transform)
    {
        var context = transform.HttpContext;
        if (context.Items[McpExchange.ItemKey] is not McpExchange exchange || transform.ProxyResponse is not { IsSuccessStatusCode: true } response)
            return;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/json" or "text/event-stream"))
            return;

        transform.SuppressResponseBody = true;
        context.Response.Headers.ContentLength = null;
        var upstream = _options.Upstreams[exchange.Upstream];
        var decider = new McpDecider(context.RequestServices.GetRequiredService<ArbiterClient>(), upstream.Arbiter);
        var pinClient = context.RequestServices.GetRequiredService<ToolPinClient>();
        await using var source = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        if (mediaType == "application/json")
            await RewriteJsonAsync(source, context, exchange, decider, pinClient);
        else
            await RewriteEventStreamAsync(source, context, exchange, decider, pinClient);
    }

    private async Task RewriteJsonAsync(Stream source, HttpContext context, McpExchange exchange, McpDecider decider, ToolPinClient pinClient)
    {
        var body = await ReadBoundedAsync(source, _options.MaxResponseBytes, context.RequestAborted);
        JsonNode? message = null;
        try
        {
            message = body is null ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
        }
        var rewritten = message is JsonObject obj ? await RewriteAsync(obj, exchange, decider, pinClient, context.RequestAborted) : Unreadable(exchange);
        await context.Response.WriteAsync(rewritten.ToJsonString(JsonRpc.WireOptions), context.RequestAborted);
    }

    private async Task RewriteEventStreamAsync(Stream source, HttpContext context, McpExchange exchange, McpDecider decider, ToolPinClient pinClient)
    {
        using var reader = new StreamReader(source, Encoding.UTF8);
        var output = context.Response.Body;
        var fields = new List<string>();
        var data = new StringBuilder();
        string? line;
        while ((line = await reader.ReadLineAsync(context.RequestAborted)) is not null)
        {
            if (line.Length > 0)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (data.Length > _options.MaxResponseBytes)
                        throw new InvalidOperationException("an SSE event from the upstream is larger than Gateway:MaxResponseBytes");
                    data.Append(data.Length > 0 ? "\n" : "").Append(line.AsSpan(line.Length > 5 && line[5] == ' ' ? 6 : 5));
                }
                else
                {
                    fields.Add(line);
                }
                continue;
            }

            // A blank line ends the event: rewrite it if it answers our request, then send it on at once.
            var text = new StringBuilder();
            foreach (var field in fields)
                text.Append(field).Append('\n');
            if (data.Length > 0)
            {
                var payload = data.ToString();
                if (IsAnswer(payload, exchange, out var message))
                    payload = (await RewriteAsync(message, exchange, decider, pinClient, context.RequestAborted)).ToJsonString(JsonRpc.WireOptions);
                foreach (var part in payload.Split('\n'))
                    text.Append("data: ").Append(part).Append('\n');
            }
            text.Append('\n');
            await output.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), context.RequestAborted);
            await output.FlushAsync(context.RequestAborted);
            fields.Clear();
            data.Clear();
        }
    }

    /// <summary>Whether an SSE event's data is the JSON-RPC response to the exchange's request (same id, no method).</summary>
    private static bool IsAnswer(string payload, McpExchange exchange, out JsonObject message)
    {
        message = null!;
        try
        {
            if (JsonNode.Parse(payload) is JsonObject obj && !obj.ContainsKey("method") && JsonNode.DeepEquals(obj["id"], exchange.Id))
            {
                message = obj;
                return true;
            }
        }
        catch (JsonException)
        {
            // Not JSON: not an answer to anything; it passes as it is, like any event the gateway does not act on.
        }
        return false;
    }

    private async Task<JsonObject> RewriteAsync(JsonObject message, McpExchange exchange, McpDecider decider, ToolPinClient pinClient, CancellationToken cancellationToken)
    {
        if (message["result"] is not JsonObject result)
            return message;
        try
        {
            return exchange.Method switch
            {
                "tools/list" => await FilterAsync(message, result, "tools", "name", exchange, pinClient, (names, ct) => decider.ListToolsAsync(exchange.Caller, names, exchange.RequestId, ct), cancellationToken),
                "resources/list" => await FilterAsync(message, result, "resources", "uri", exchange, null, (uris, ct) => decider.ListResourcesAsync(exchange.Caller, uris, exchange.RequestId, ct), cancellationToken),
                "prompts/list" => await FilterAsync(message, result, "prompts", "name", exchange, null, (names, ct) => decider.ListPromptsAsync(exchange.Caller, names, exchange.RequestId, ct), cancellationToken),
                "tools/call" => Redact(message, result, exchange),
                _ => message,
            };
        }
        catch (JsonException)
        {
            return Unreadable(exchange);
        }
    }

    private async Task<JsonObject> FilterAsync(JsonObject message, JsonObject result, string member, string key, McpExchange exchange, ToolPinClient? pinClient,
        Func<IReadOnlyList<string>, CancellationToken, Task<McpListDecision>> decide, CancellationToken cancellationToken)
    {
        if (result[member] is not JsonArray items)
            return Unreadable(exchange);
        if (pinClient is not null && !await PinAsync(items, exchange, pinClient, cancellationToken))
            return JsonRpc.Unavailable(exchange.Id, AccessDecision.Failed(DecisionFailure.Unavailable, "the tool definitions could not be pinned"));
        var names = items.Select(i => i?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToList();
        var decided = await decide(names, cancellationToken);
        if (decided.Outage is { } outage)
        {
            LogOutage(logger, exchange.Upstream, exchange.Method, outage.ReasonAdmin);
            return JsonRpc.Unavailable(exchange.Id, outage);
        }
        var kept = new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            // An item without a name cannot be decided, so it is not listed.
            if (decided.Allowed[i] && names[i].Length > 0)
                kept.Add(items[i]!.DeepClone());
        }
        result[member] = kept;
        return message;
    }

    /// <summary>
    /// Pins the listed tools' definitions in Arbiter and, when the upstream blocks changed tools, removes those whose
    /// definition changed since it was approved. False when Arbiter could not say (the list then fails closed).
    /// </summary>
    private async Task<bool> PinAsync(JsonArray items, McpExchange exchange, ToolPinClient client, CancellationToken cancellationToken)
    {
        var upstream = _options.Upstreams[exchange.Upstream];
        if (!upstream.PinToolDefinitions)
            return true;
        var definitions = new List<(JsonNode Item, string Name, string Definition)>();
        foreach (var item in items)
        {
            if (item?["name"] is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length == 0)
                continue;
            var definition = new JsonObject { ["name"] = name, ["description"] = item["description"]?.DeepClone(), ["inputSchema"] = item["inputSchema"]?.DeepClone() };
            definitions.Add((item, name, definition.ToJsonString()));
        }
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        if (definitions.Any(d => !pins.IsKnownPinned(exchange.Upstream, d.Name, d.Definition)))
        {
            var observed = await client.ObserveAsync(upstream.Arbiter.ServerId, new JsonArray([.. definitions.Select(d => JsonNode.Parse(d.Definition))]), exchange.RequestId, cancellationToken);
            if (observed is null)
                return false;
            foreach (var (_, name, definition) in definitions)
            {
                var state = observed.GetValueOrDefault(name, "changed");
                pins.Set(exchange.Upstream, name, definition, state);
                states[name] = state;
            }
        }
        if (!upstream.BlockChangedTools)
            return true;
        foreach (var (item, name, _) in definitions)
        {
            if (states.GetValueOrDefault(name) == "changed")
            {
                LogBlocked(logger, exchange.Upstream, name);
                items.Remove(item);
            }
        }
        return true;
    }

    private JsonObject Redact(JsonObject message, JsonObject result, McpExchange exchange)
    {
        var parsed = McpJson.ToCallToolResult(result);
        var redacted = parsed is null ? null : Redactor.Apply(parsed, exchange.RedactedFields);
        if (redacted is null)
        {
            LogWithheld(logger, exchange.Upstream);
            return JsonRpc.Withheld(exchange.Id);
        }
        return JsonRpc.Result(exchange.Id, McpJson.ToNode(redacted));
    }

    private JsonObject Unreadable(McpExchange exchange)
    {
        LogUnreadable(logger, exchange.Upstream, exchange.Method);
        return JsonRpc.Error(exchange.Id, JsonRpc.InternalError, $"The MCP server's answer to {exchange.Method} could not be read, so it was withheld.");
    }

    private static async Task<byte[]?> ReadBoundedAsync(Stream source, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    [LoggerMessage(EventId = 7214, Level = LogLevel.Warning, Message = "Gateway {Upstream}: tool {Tool} changed since its definition was approved; it is blocked until a reviewer approves it")]
    private static partial void LogBlocked(ILogger logger, string upstream, string tool);

    [LoggerMessage(EventId = 7211, Level = LogLevel.Warning, Message = "Gateway {Upstream}: {Method} answer failed closed, Arbiter could not decide: {Reason}")]
    private static partial void LogOutage(ILogger logger, string upstream, string method, string? reason);

    [LoggerMessage(EventId = 7212, Level = LogLevel.Warning, Message = "Gateway {Upstream}: the answer to {Method} could not be read and was withheld")]
    private static partial void LogUnreadable(ILogger logger, string upstream, string method);

    [LoggerMessage(EventId = 7213, Level = LogLevel.Information, Message = "Gateway {Upstream}: a tool result that could not be redacted was withheld")]
    private static partial void LogWithheld(ILogger logger, string upstream);
}
