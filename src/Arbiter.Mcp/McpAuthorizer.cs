using System.Text.Json;
using Arbiter.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Arbiter.Mcp;

/// <summary>
/// The enforcement behind <c>WithArbiterAuthorization()</c>: lists keep only what the caller may use (one batch per
/// list), calls/reads/prompts are decided before their handler runs, obligations are honoured (<c>rowFilter</c> handed
/// to the handler, <c>redact</c> applied to the answer) or the call is denied, and a PDP that cannot answer is
/// <c>-32603</c>. Each decision carries the caller's request id (<c>X-Request-ID</c>) and the tool's server.
/// </summary>
public sealed partial class McpAuthorizer(ArbiterClient arbiter, IOptions<ArbiterMcpOptions> options, IHttpContextAccessor http, ILogger<McpAuthorizer> logger)
{
    public const string RowFilterObligation = McpDecider.RowFilterObligation;
    public const string RedactObligation = McpDecider.RedactObligation;
    private readonly ArbiterMcpOptions _options = options.Value;
    private readonly McpDecider _decider = new(arbiter, options.Value);

    public async ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> context, McpRequestHandler<ListToolsRequestParams, ListToolsResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = Allowed(await _decider.ListToolsAsync(caller, [.. result.Tools.Select(t => t.Name)], RequestId(), cancellationToken), "tools/list");
        result.Tools = result.Tools.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> context, McpRequestHandler<CallToolRequestParams, CallToolResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var tool = context.Params?.Name ?? "";
        var decided = await _decider.DecideCallAsync(caller, tool, context.Params?.Arguments, RequestId(), null, cancellationToken);
        if (decided.Outage)
            throw Outage(decided.Refusal!, tool);
        if (decided.Refusal is { } refusal)
            return Deny(refusal, tool);

        context.Items[McpAuthorizationExtensions.ItemKey] = new McpAuthorization(caller, decided.Decisions, decided.RowFilters, decided.RedactedFields);
        var result = await next(context, cancellationToken);
        if (decided.RedactedFields.Count == 0)
            return result;
        return Redactor.Apply(result, decided.RedactedFields) ?? new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = Redactor.Withheld }] };
    }

    public async ValueTask<ListResourcesResult> ListResourcesAsync(RequestContext<ListResourcesRequestParams> context, McpRequestHandler<ListResourcesRequestParams, ListResourcesResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = Allowed(await _decider.ListResourcesAsync(caller, [.. result.Resources.Select(r => r.Uri)], RequestId(), cancellationToken), "resources/list");
        result.Resources = result.Resources.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> context, McpRequestHandler<ReadResourceRequestParams, ReadResourceResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var uri = context.Params?.Uri ?? "";
        Require(await _decider.ReadResourceAsync(caller, uri, RequestId(), cancellationToken), uri);
        return await next(context, cancellationToken);
    }

    public async ValueTask<ListPromptsResult> ListPromptsAsync(RequestContext<ListPromptsRequestParams> context, McpRequestHandler<ListPromptsRequestParams, ListPromptsResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = Allowed(await _decider.ListPromptsAsync(caller, [.. result.Prompts.Select(p => p.Name)], RequestId(), cancellationToken), "prompts/list");
        result.Prompts = result.Prompts.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> context, McpRequestHandler<GetPromptRequestParams, GetPromptResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var name = context.Params?.Name ?? "";
        Require(await _decider.GetPromptAsync(caller, name, RequestId(), cancellationToken), name);
        return await next(context, cancellationToken);
    }

    private IReadOnlyList<bool> Allowed(McpListDecision list, string method) =>
        list.Outage is { } outage ? throw Outage(outage, method) : list.Allowed;

    private void Require(AccessDecision decision, string target)
    {
        if (McpDenials.IsOutage(decision))
            throw Outage(decision, target);
        if (!decision.Allowed)
        {
            LogDenied(logger, target, decision.DecisionId, decision.ReasonAdmin);
            throw McpDenials.Denied(decision, _options.DenialErrorCode);
        }
    }

    private McpCaller MapOrRefuse(MessageContext context)
    {
        var (caller, refusal) = McpCallerMapper.Map(context.User, _options.Caller);
        if (caller is not null)
            return caller;
        LogRefused(logger, refusal!);
        throw McpDenials.Refused(refusal!, _options.DenialErrorCode);
    }

    private CallToolResult Deny(AccessDecision decision, string tool)
    {
        LogDenied(logger, tool, decision.DecisionId, decision.ReasonAdmin);
        return _options.DenialStyle == McpDenialStyle.ToolError
            ? McpDenials.DeniedResult(decision)
            : throw McpDenials.Denied(decision, _options.DenialErrorCode);
    }

    private Exception Outage(AccessDecision decision, string target)
    {
        LogOutage(logger, target, decision.ReasonAdmin);
        return McpDenials.Unavailable(decision);
    }

    /// <summary>The caller's <c>X-Request-ID</c> when usable, so Arbiter's decision log ties back to the MCP request.</summary>
    private string RequestId()
    {
        var header = http.HttpContext?.Request.Headers[ArbiterClient.RequestIdHeader].ToString();
        if (header is { Length: > 0 and <= 128 } && header.All(c => c is > ' ' and < (char)127))
            return header;
        return http.HttpContext?.TraceIdentifier is { Length: > 0 and <= 128 } trace ? "mcp-" + trace : "mcp-" + Guid.NewGuid().ToString("n");
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "MCP {Target} denied by Arbiter decision {DecisionId}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string target, string? decisionId, string? reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "MCP {Target} failed closed, Arbiter could not decide: {Reason}")]
    private static partial void LogOutage(ILogger logger, string target, string? reason);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Information, Message = "MCP request refused: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string refusal);
}
