using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using Arbiter.Mcp;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Arbiter.Gateway;

/// <summary>
/// The MCP-aware step in front of YARP's forwarding, for each JSON-RPC message a caller POSTs to <c>/mcp/{name}</c>:
/// <list type="bullet">
/// <item><c>tools/call</c>, <c>resources/read</c>, <c>prompts/get</c> are decided before they are forwarded; a deny is
/// answered here, in Arbiter.Mcp's denial shape, and never reaches the upstream.</item>
/// <item><c>tools/list</c>, <c>resources/list</c>, <c>prompts/list</c> are forwarded and their answers filtered per item
/// (<see cref="McpResponseRewriter"/>).</item>
/// <item>Passed through as they are: <c>initialize</c> and <c>server/discover</c> (2026-07-28), <c>ping</c>, <c>logging/setLevel</c>, notifications
/// (<c>notifications/*</c>) and the caller's answers to the server's own requests (sampling, elicitation, roots):
/// none of them reaches a tool, a resource or a prompt.</item>
/// <item>Any other method is denied (fail closed): a method the gateway does not understand cannot be authorized.</item>
/// </list>
/// The <c>Mcp-Method</c> / <c>Mcp-Name</c> headers, when sent, must agree with the body, so a router or a log that
/// trusts the headers sees what the upstream will run. A stream resumption (<c>Last-Event-ID</c>) is refused: a replayed
/// answer would pass unfiltered.
/// </summary>
public sealed partial class McpGatewayMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, ToolPinCache pins, ILogger<McpGatewayMiddleware> logger)
{
    public const string UpstreamMetadata = "Arbiter.Gateway.Upstream";
    public const string RowFiltersMetaKey = "arbiter/rowFilters";
    public const string MethodHeader = "Mcp-Method";
    public const string NameHeader = "Mcp-Name";
    private static readonly IReadOnlySet<string> PassThrough = new HashSet<string>(["initialize", "server/discover", "ping", "logging/setLevel"], StringComparer.Ordinal);
    private static readonly IReadOnlySet<string> Filtered = new HashSet<string>(["tools/list", "resources/list", "prompts/list"], StringComparer.Ordinal);
    private static readonly IReadOnlySet<string> RedactOnly = new HashSet<string>([McpDecider.RedactObligation], StringComparer.Ordinal);
    private readonly GatewayOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context, ArbiterClient arbiter)
    {
        var name = context.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(UpstreamMetadata);
        if (name is null || !_options.Upstreams.TryGetValue(name, out var upstream))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.ContainsKey("Last-Event-ID"))
        {
            await Results.Problem(title: "Resuming a stream (Last-Event-ID) is not supported through the gateway: a replayed answer would bypass its filters.", statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await next(context);
            await ReportUpstreamFailureAsync(context, null, name);
            return;
        }

        var body = await ReadBodyAsync(context.Request, _options.MaxRequestBytes, context.RequestAborted);
        if (body is null)
        {
            await Results.Problem(title: $"The message is larger than Gateway:MaxRequestBytes ({_options.MaxRequestBytes} bytes).", statusCode: StatusCodes.Status413PayloadTooLarge).ExecuteAsync(context);
            return;
        }
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            await WriteAsync(context, JsonRpc.Error(null, JsonRpc.ParseError, "The body is not JSON."), StatusCodes.Status400BadRequest);
            return;
        }
        if (parsed is not JsonObject message)
        {
            // JSON-RPC batches left MCP in 2025-06-18; an array would also hide its items from the checks below.
            await WriteAsync(context, JsonRpc.Error(null, JsonRpc.InvalidRequest, "The body must be one JSON-RPC message (batches are not accepted)."), StatusCodes.Status400BadRequest);
            return;
        }

        var id = message["id"];
        var method = message["method"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : null;
        if (method is null)
        {
            // The caller's answer to a request of the server's (sampling, elicitation, roots): nothing to decide.
            if (message.ContainsKey("result") || message.ContainsKey("error"))
            {
                await ForwardAsync(context, body, id, name);
                return;
            }
            await WriteAsync(context, JsonRpc.Error(id, JsonRpc.InvalidRequest, "'method' is required."), StatusCodes.Status400BadRequest);
            return;
        }
        var targetName = TargetName(method, message["params"]);
        if ((HeaderContradicts(context.Request, MethodHeader, method) ?? HeaderContradicts(context.Request, NameHeader, targetName)) is { } conflict)
        {
            LogHeaderConflict(logger, name, conflict);
            await WriteAsync(context, JsonRpc.Error(id, JsonRpc.InvalidRequest, conflict), StatusCodes.Status400BadRequest);
            return;
        }
        if (id is null)
        {
            if (method.StartsWith("notifications/", StringComparison.Ordinal))
            {
                await ForwardAsync(context, body, id, name);
                return;
            }
            await WriteAsync(context, JsonRpc.Error(null, JsonRpc.InvalidRequest, $"The notification '{method}' is not one the gateway forwards."), StatusCodes.Status400BadRequest);
            return;
        }

        var mcp = upstream.Arbiter;
        var (caller, refusal) = McpCallerMapper.Map(context.User, mcp.Caller);
        if (caller is null)
        {
            LogRefused(logger, name, refusal!);
            await WriteAsync(context, JsonRpc.Error(id, McpDenials.Refused(refusal!, mcp.DenialErrorCode)));
            return;
        }
        if (PassThrough.Contains(method))
        {
            await ForwardAsync(context, body, id, name);
            return;
        }

        var requestId = RequestId(context);
        var decider = new McpDecider(arbiter, mcp);
        if (Filtered.Contains(method))
        {
            context.Items[McpExchange.ItemKey] = new McpExchange(name, id, method, caller, requestId, new HashSet<string>());
            await ForwardAsync(context, body, id, name);
            return;
        }

        switch (method)
        {
            case "tools/call":
                await CallToolAsync(context, decider, upstream, name, message, id, caller, targetName ?? "", requestId);
                return;
            case "resources/read":
                await RequireAsync(context, await decider.ReadResourceAsync(caller, targetName ?? "", requestId, context.RequestAborted), mcp, name, id, targetName ?? "", body);
                return;
            case "prompts/get":
                await RequireAsync(context, await decider.GetPromptAsync(caller, targetName ?? "", requestId, context.RequestAborted), mcp, name, id, targetName ?? "", body);
                return;
            default:
                LogUnknownMethod(logger, name, method);
                var unknown = AccessDecision.Failed(DecisionFailure.Rejected, $"the method '{method}' is not one the gateway can authorize") with
                {
                    ReasonUser = $"The method '{method}' is not allowed through this gateway.",
                };
                await WriteAsync(context, JsonRpc.Denial(id, unknown, mcp));
                return;
        }
    }

    private async Task CallToolAsync(HttpContext context, McpDecider decider, UpstreamOptions upstream, string name, JsonObject message, JsonNode? id, McpCaller caller, string tool, string requestId)
    {
        if (upstream.PinToolDefinitions && upstream.BlockChangedTools && pins.IsChanged(name, tool))
        {
            var blocked = AccessDecision.Failed(DecisionFailure.Rejected, $"tool '{tool}' changed since its definition was approved") with
            {
                ReasonUser = $"The tool '{tool}' changed since it was approved and is blocked until a reviewer approves the new definition.",
            };
            LogDenied(logger, name, tool, null, blocked.ReasonAdmin);
            await WriteAsync(context, JsonRpc.ToolDenial(id, blocked, upstream.Arbiter));
            return;
        }
        var arguments = message["params"]?["arguments"] is JsonObject given
            ? given.Select(a => KeyValuePair.Create(a.Key, JsonSerializer.SerializeToElement(a.Value, GatewayJsonContext.Default.JsonNode))).ToList()
            : null;
        // An upstream that cannot apply row filters must not receive a permit that depends on one: leaving rowFilter
        // out of what is understood turns such a permit into a deny.
        var understood = upstream.AppliesRowFilters ? McpDecider.ToolObligations : RedactOnly;
        var decided = await decider.DecideCallAsync(caller, tool, arguments, requestId, understood, context.RequestAborted);
        if (decided.Outage)
        {
            LogOutage(logger, name, tool, decided.Refusal!.ReasonAdmin);
            await WriteAsync(context, JsonRpc.Unavailable(id, decided.Refusal));
            return;
        }
        if (decided.Refusal is { } refusal)
        {
            LogDenied(logger, name, tool, refusal.DecisionId, refusal.ReasonAdmin);
            await WriteAsync(context, JsonRpc.ToolDenial(id, refusal, upstream.Arbiter));
            return;
        }

        var parameters = message["params"] as JsonObject;
        if (parameters is not null)
        {
            var meta = parameters["_meta"] as JsonObject;
            // The caller's own value under our key is never trusted: only Arbiter's row filters reach the upstream.
            meta?.Remove(RowFiltersMetaKey);
            if (decided.RowFilters.Count > 0)
            {
                if (meta is null)
                    parameters["_meta"] = meta = [];
                meta[RowFiltersMetaKey] = new JsonArray([.. decided.RowFilters.Select(f => (JsonNode)new JsonObject { ["id"] = f.Id, ["filter"] = f.Filter })]);
            }
        }
        if (decided.RedactedFields.Count > 0)
            context.Items[McpExchange.ItemKey] = new McpExchange(name, id, "tools/call", caller, requestId, decided.RedactedFields);
        await ForwardAsync(context, Encoding.UTF8.GetBytes(message.ToJsonString()), id, name);
    }

    private async Task RequireAsync(HttpContext context, AccessDecision decision, ArbiterMcpOptions mcp, string name, JsonNode? id, string target, byte[] body)
    {
        if (McpDenials.IsOutage(decision))
        {
            LogOutage(logger, name, target, decision.ReasonAdmin);
            await WriteAsync(context, JsonRpc.Unavailable(id, decision));
            return;
        }
        if (!decision.Allowed)
        {
            LogDenied(logger, name, target, decision.DecisionId, decision.ReasonAdmin);
            await WriteAsync(context, JsonRpc.Denial(id, decision, mcp));
            return;
        }
        await ForwardAsync(context, body, id, name);
    }

    private async Task ForwardAsync(HttpContext context, byte[] body, JsonNode? id, string name)
    {
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Request.ContentLength = body.Length;
        await next(context);
        await ReportUpstreamFailureAsync(context, id, name);
    }

    /// <summary>
    /// When YARP could not reach the upstream (refused, timed out, reset) and nothing was sent yet: a 502 whose body is
    /// a JSON-RPC error naming the server, so the agent learns which server is down instead of seeing an empty 502.
    /// </summary>
    private async Task ReportUpstreamFailureAsync(HttpContext context, JsonNode? id, string name)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { } failure || context.Response.HasStarted)
            return;
        LogUpstreamFailed(logger, name, failure.Error.ToString());
        var reason = failure.Error is ForwarderError.RequestTimedOut ? "did not answer in time" : "cannot be reached";
        await WriteAsync(context, JsonRpc.Error(id, JsonRpc.InternalError, $"The MCP server '{name}' {reason}."), failure.Error is ForwarderError.RequestTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway);
    }

    /// <summary>The name a method acts on: the tool or prompt name, the resource URI; null for other methods.</summary>
    private static string? TargetName(string method, JsonNode? parameters)
    {
        var member = method switch
        {
            "tools/call" or "prompts/get" => "name",
            "resources/read" => "uri",
            _ => null,
        };
        return member is not null && parameters?[member] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }

    private static string? HeaderContradicts(HttpRequest request, string header, string? body)
    {
        if (!request.Headers.TryGetValue(header, out var values))
            return null;
        var sent = values.ToString();
        return body is not null && string.Equals(sent, body, StringComparison.Ordinal)
            ? null
            : $"The {header} header ('{Truncate(sent)}') contradicts the message body ('{Truncate(body ?? "")}').";
    }

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "…";

    /// <summary>The caller's <c>X-Request-ID</c> when usable, so Arbiter's decision log ties back to the MCP request.</summary>
    private static string RequestId(HttpContext context)
    {
        var header = context.Request.Headers[ArbiterClient.RequestIdHeader].ToString();
        if (header is { Length: > 0 and <= 128 } && header.All(c => c is > ' ' and < (char)127))
            return header;
        return context.TraceIdentifier is { Length: > 0 and <= 120 } trace ? "gw-" + trace : "gw-" + Guid.NewGuid().ToString("n");
    }

    /// <summary>The body, or null when it is larger than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
            return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    internal static async Task WriteAsync(HttpContext context, JsonObject message, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(message.ToJsonString(JsonRpc.WireOptions), context.RequestAborted);
    }

    [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "Gateway {Upstream}: {Target} denied by Arbiter decision {DecisionId}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string upstream, string target, string? decisionId, string? reason);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Gateway {Upstream}: {Target} failed closed, Arbiter could not decide: {Reason}")]
    private static partial void LogOutage(ILogger logger, string upstream, string target, string? reason);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Information, Message = "Gateway {Upstream}: request refused: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string upstream, string refusal);

    [LoggerMessage(EventId = 7204, Level = LogLevel.Information, Message = "Gateway {Upstream}: unknown method {Method} denied")]
    private static partial void LogUnknownMethod(ILogger logger, string upstream, string method);

    [LoggerMessage(EventId = 7206, Level = LogLevel.Warning, Message = "Gateway {Upstream}: the MCP server could not be reached ({Error})")]
    private static partial void LogUpstreamFailed(ILogger logger, string upstream, string error);

    [LoggerMessage(EventId = 7205, Level = LogLevel.Information, Message = "Gateway {Upstream}: {Conflict}")]
    private static partial void LogHeaderConflict(ILogger logger, string upstream, string conflict);
}
