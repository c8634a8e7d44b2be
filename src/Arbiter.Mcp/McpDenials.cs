using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Mcp;

/// <summary>
/// How a refusal looks on the wire. A denial carries Arbiter's <c>reason_user</c> and decision id, and the
/// structured-denial envelope of MCP's draft SEP-2643 under <c>_meta["io.modelcontextprotocol/authorization"]</c>
/// (<c>reason: insufficient_authorization</c>, <c>authorizationContextId</c>: the decision id). An unreachable or
/// unreadable PDP is <c>-32603</c> (internal error): nothing is decided, nothing runs.
/// </summary>
public static class McpDenials
{
    public const string MetaKey = "io.modelcontextprotocol/authorization";

    public static McpProtocolException Denied(AccessDecision decision, int code)
    {
        var reason = UserReason(decision);
        var exception = new McpProtocolException(reason, (McpErrorCode)code);
        exception.Data["reason"] = reason;
        if (decision.DecisionId is not null)
            exception.Data["decision_id"] = decision.DecisionId;
        exception.Data["_meta"] = JsonSerializer.SerializeToElement(new JsonObject { [MetaKey] = Envelope(decision, reason) }, McpJsonContext.Default.JsonObject);
        return exception;
    }

    public static CallToolResult DeniedResult(AccessDecision decision)
    {
        var reason = UserReason(decision);
        return new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = decision.DecisionId is null ? reason : $"{reason} (decision {decision.DecisionId})" }],
            Meta = new JsonObject { [MetaKey] = Envelope(decision, reason) },
        };
    }

    public static McpProtocolException Unavailable(AccessDecision decision)
    {
        var exception = new McpProtocolException(UserReason(decision), McpErrorCode.InternalError);
        exception.Data["reason"] = UserReason(decision);
        return exception;
    }

    public static McpProtocolException Refused(string refusal, int code)
    {
        var reason = "This request is refused: " + refusal + ".";
        var exception = new McpProtocolException(reason, (McpErrorCode)code);
        exception.Data["reason"] = reason;
        exception.Data["_meta"] = JsonSerializer.SerializeToElement(
            new JsonObject { [MetaKey] = new JsonObject { ["reason"] = "insufficient_authorization", ["message"] = reason } }, McpJsonContext.Default.JsonObject);
        return exception;
    }

    /// <summary>A failure to decide (PDP down, garbage, Arbiter refusing us), as opposed to a policy's deny.</summary>
    public static bool IsOutage(AccessDecision decision) =>
        decision.Failure is DecisionFailure.Unavailable or DecisionFailure.InvalidResponse or DecisionFailure.Rejected;

    private static string UserReason(AccessDecision decision) => decision.ReasonUser ?? "Access denied.";

    private static JsonObject Envelope(AccessDecision decision, string reason)
    {
        var envelope = new JsonObject { ["reason"] = "insufficient_authorization", ["message"] = reason };
        if (decision.DecisionId is not null)
            envelope["authorizationContextId"] = decision.DecisionId;
        return envelope;
    }
}
