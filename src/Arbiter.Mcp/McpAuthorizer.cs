using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using AuthZenResource = Arbiter.Client.Resource;

namespace Arbiter.Mcp;

/// <summary>
/// The enforcement behind <c>WithArbiterAuthorization()</c>: lists keep only what the caller may use (one batch per
/// list), calls/reads/prompts are decided before their handler runs, obligations are honoured (<c>rowFilter</c> handed
/// to the handler, <c>redact</c> applied to the answer) or the call is denied, and a PDP that cannot answer is
/// <c>-32603</c>. Each decision carries the caller's request id (<c>X-Request-ID</c>) and the tool's server.
/// </summary>
public sealed partial class McpAuthorizer(ArbiterClient arbiter, IOptions<ArbiterMcpOptions> options, IHttpContextAccessor http, ILogger<McpAuthorizer> logger)
{
    public const string RowFilterObligation = "rowFilter";
    public const string RedactObligation = "redact";
    private const int BatchChunk = 50;
    private static readonly IReadOnlySet<string> ToolObligations = new HashSet<string>([RowFilterObligation, RedactObligation], StringComparer.Ordinal);
    private static readonly IReadOnlySet<string> NoObligations = new HashSet<string>(StringComparer.Ordinal);
    private readonly ArbiterMcpOptions _options = options.Value;

    public async ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> context, McpRequestHandler<ListToolsRequestParams, ListToolsResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = await AllowedAsync(caller, "tools/call", result.Tools.Select(t => ToolResource(t.Name)).ToList(), ToolObligations, "tools/list", cancellationToken);
        result.Tools = result.Tools.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> context, McpRequestHandler<CallToolRequestParams, CallToolResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var tool = context.Params?.Name ?? "";
        var requestContext = caller.Context(_options.Caller.AgentType);
        if (_options.SendArguments && context.Params?.Arguments is { Count: > 0 } arguments)
        {
            var size = arguments.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + a.Value.GetRawText().Length);
            if (size > _options.MaxArgumentBytes)
                return Deny(AccessDecision.Failed(DecisionFailure.Rejected, $"the arguments ({size} bytes) exceed Arbiter:Mcp:MaxArgumentBytes") with { ReasonUser = "This call's arguments are too large to be authorized." }, tool);
            var node = new JsonObject();
            foreach (var (name, value) in arguments)
                node[name] = JsonNode.Parse(value.GetRawText());
            requestContext["arguments"] = node;
        }

        _options.Tools.TryGetValue(tool, out var checkpoints);
        var items = new List<EvaluationItem> { new(Action: new AccessAction("tools/call"), Resource: ToolResource(tool)) };
        foreach (var read in checkpoints?.Reads ?? [])
            items.Add(new EvaluationItem(Action: new AccessAction("data.read"), Resource: new AuthZenResource(read.Type, read.Id)));
        foreach (var exposed in checkpoints?.Exposes ?? [])
            items.Add(new EvaluationItem(Action: new AccessAction("response.expose"), Resource: new AuthZenResource(exposed.Type, exposed.Id)));

        var call = Call(ToolObligations);
        IReadOnlyList<AccessDecision> decisions = items.Count == 1
            ? [await arbiter.EvaluateAsync(new EvaluationRequest(caller.Subject, items[0].Action!, items[0].Resource!, requestContext), call, cancellationToken)]
            : await arbiter.EvaluateBatchAsync(new EvaluationsRequest(items, Subject: caller.Subject, Context: requestContext, Options: new EvaluationsOptions(EvaluationsSemantics.DenyOnFirstDeny)), call, cancellationToken);

        foreach (var decision in decisions)
        {
            if (McpDenials.IsOutage(decision))
                throw Outage(decision, tool);
            if (!decision.Allowed)
                return Deny(decision, tool);
        }

        var rowFilters = new List<RowFilter>();
        var redacted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var decision in decisions)
        {
            foreach (var obligation in decision.Obligations)
            {
                var refusal = obligation.Type switch
                {
                    RowFilterObligation => AddRowFilter(obligation, rowFilters),
                    RedactObligation => AddRedactions(obligation, checkpoints, redacted),
                    _ => $"obligation '{obligation.Id}' of type '{obligation.Type}' is not honoured here",
                };
                if (refusal is not null)
                    return Deny(AccessDecision.Failed(DecisionFailure.UnknownObligation, refusal, decision.DecisionId), tool);
            }
        }

        context.Items[McpAuthorizationExtensions.ItemKey] = new McpAuthorization(caller, decisions, rowFilters, redacted);
        var result = await next(context, cancellationToken);
        if (redacted.Count == 0)
            return result;
        return Redactor.Apply(result, redacted) ?? new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = Redactor.Withheld }] };
    }

    public async ValueTask<ListResourcesResult> ListResourcesAsync(RequestContext<ListResourcesRequestParams> context, McpRequestHandler<ListResourcesRequestParams, ListResourcesResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = await AllowedAsync(caller, _options.ResourceAction, result.Resources.Select(r => ServerResource(_options.ResourceType, r.Uri)).ToList(), NoObligations, "resources/list", cancellationToken);
        result.Resources = result.Resources.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> context, McpRequestHandler<ReadResourceRequestParams, ReadResourceResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var uri = context.Params?.Uri ?? "";
        await RequireAsync(caller, _options.ResourceAction, ServerResource(_options.ResourceType, uri), uri, cancellationToken);
        return await next(context, cancellationToken);
    }

    public async ValueTask<ListPromptsResult> ListPromptsAsync(RequestContext<ListPromptsRequestParams> context, McpRequestHandler<ListPromptsRequestParams, ListPromptsResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var result = await next(context, cancellationToken);
        var allowed = await AllowedAsync(caller, _options.PromptAction, result.Prompts.Select(p => ServerResource(_options.PromptType, p.Name)).ToList(), NoObligations, "prompts/list", cancellationToken);
        result.Prompts = result.Prompts.Where((_, i) => allowed[i]).ToList();
        return result;
    }

    public async ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> context, McpRequestHandler<GetPromptRequestParams, GetPromptResult> next, CancellationToken cancellationToken)
    {
        var caller = MapOrRefuse(context);
        var name = context.Params?.Name ?? "";
        await RequireAsync(caller, _options.PromptAction, ServerResource(_options.PromptType, name), name, cancellationToken);
        return await next(context, cancellationToken);
    }

    /// <summary>One decision per resource (batched, in chunks), permitted or not; any outage fails the whole list.</summary>
    private async Task<bool[]> AllowedAsync(McpCaller caller, string action, IReadOnlyList<AuthZenResource> resources, IReadOnlySet<string> understood, string method, CancellationToken cancellationToken)
    {
        var allowed = new bool[resources.Count];
        var call = Call(understood);
        for (var start = 0; start < resources.Count; start += BatchChunk)
        {
            var chunk = resources.Skip(start).Take(BatchChunk).Select(r => new EvaluationItem(Resource: r)).ToList();
            var decisions = await arbiter.EvaluateBatchAsync(new EvaluationsRequest(chunk, caller.Subject, new AccessAction(action), Context: caller.Context(_options.Caller.AgentType)), call, cancellationToken);
            for (var i = 0; i < decisions.Count; i++)
            {
                if (McpDenials.IsOutage(decisions[i]))
                    throw Outage(decisions[i], method);
                allowed[start + i] = decisions[i].Allowed;
            }
        }
        return allowed;
    }

    private async Task RequireAsync(McpCaller caller, string action, AuthZenResource resource, string target, CancellationToken cancellationToken)
    {
        var decision = await arbiter.EvaluateAsync(new EvaluationRequest(caller.Subject, new AccessAction(action), resource, caller.Context(_options.Caller.AgentType)), Call(NoObligations), cancellationToken);
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

    private AuthZenResource ToolResource(string tool) => new("tool", tool, new JsonObject { ["server"] = _options.ServerOf(tool) });

    private AuthZenResource ServerResource(string type, string id) => new(type, id, new JsonObject { ["server"] = _options.ServerId });

    private DecisionCallOptions Call(IReadOnlySet<string> understood) => new() { RequestId = RequestId(), UnderstoodObligations = understood };

    /// <summary>The caller's <c>X-Request-ID</c> when usable, so Arbiter's decision log ties back to the MCP request.</summary>
    private string RequestId()
    {
        var header = http.HttpContext?.Request.Headers[ArbiterClient.RequestIdHeader].ToString();
        if (header is { Length: > 0 and <= 128 } && header.All(c => c is > ' ' and < (char)127))
            return header;
        return http.HttpContext?.TraceIdentifier is { Length: > 0 and <= 128 } trace ? "mcp-" + trace : "mcp-" + Guid.NewGuid().ToString("n");
    }

    private static string? AddRowFilter(Obligation obligation, List<RowFilter> filters)
    {
        if (obligation.Properties.ValueKind != JsonValueKind.Object
            || !obligation.Properties.TryGetProperty("filter", out var filter)
            || filter.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(filter.GetString()))
            return $"row filter '{obligation.Id}' has no 'filter' to apply";
        filters.Add(new RowFilter(obligation.Id, filter.GetString()!));
        return null;
    }

    private static string? AddRedactions(Obligation obligation, ToolCheckpoints? checkpoints, HashSet<string> fields)
    {
        var found = false;
        if (obligation.Properties.ValueKind == JsonValueKind.Object)
        {
            if (obligation.Properties.TryGetProperty("fields", out var names) && names.ValueKind == JsonValueKind.Array)
            {
                found = true;
                foreach (var name in names.EnumerateArray())
                {
                    if (name.ValueKind != JsonValueKind.String)
                        return $"redaction '{obligation.Id}' names a field that is not a string";
                    fields.Add(name.GetString()!);
                }
            }
            if (obligation.Properties.TryGetProperty("classifications", out var classes) && classes.ValueKind == JsonValueKind.Array)
            {
                found = true;
                var wanted = classes.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!).ToHashSet(StringComparer.Ordinal);
                foreach (var (field, classification) in checkpoints?.FieldClassifications ?? [])
                {
                    if (wanted.Contains(classification))
                        fields.Add(field);
                }
            }
        }
        return found ? null : $"redaction '{obligation.Id}' names neither 'fields' nor 'classifications'";
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "MCP {Target} denied by Arbiter decision {DecisionId}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string target, string? decisionId, string? reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "MCP {Target} failed closed, Arbiter could not decide: {Reason}")]
    private static partial void LogOutage(ILogger logger, string target, string? reason);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Information, Message = "MCP request refused: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string refusal);
}
