using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Client;
using AuthZenResource = Arbiter.Client.Resource;

namespace Arbiter.Mcp;

/// <summary>
/// The decisions behind every MCP checkpoint, independent of where the enforcement runs (the SDK filters of
/// <see cref="McpAuthorizer"/> or the gateway in front of any MCP server): lists one batch per chunk, calls with their
/// further checkpoints in one batch, obligations read and checked. It throws nothing for a deny or an outage; the
/// caller turns the outcome into its wire shape.
/// </summary>
public sealed class McpDecider(ArbiterClient arbiter, ArbiterMcpOptions options)
{
    public const string RowFilterObligation = "rowFilter";
    public const string RedactObligation = "redact";
    private const int BatchChunk = 50;

    /// <summary>The obligations a tool call can honour (row filters handed on, fields redacted).</summary>
    public static readonly IReadOnlySet<string> ToolObligations = new HashSet<string>([RowFilterObligation, RedactObligation], StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> NoObligations = new HashSet<string>(StringComparer.Ordinal);

    public ArbiterMcpOptions Options => options;

    /// <summary>
    /// Decides <c>tools/call</c> of <paramref name="tool"/> with its configured <c>data.read</c> and <c>response.expose</c>
    /// checkpoints, and reads the permit's obligations. <paramref name="understood"/> narrows what can be honoured (a
    /// gateway whose upstream cannot apply row filters leaves <c>rowFilter</c> out, so such a permit is a deny).
    /// </summary>
    public async Task<McpCallDecision> DecideCallAsync(McpCaller caller, string tool, IEnumerable<KeyValuePair<string, JsonElement>>? arguments, string requestId, IReadOnlySet<string>? understood, CancellationToken cancellationToken)
    {
        understood ??= ToolObligations;
        var requestContext = caller.Context(options.Caller.AgentType);
        if (options.SendArguments && arguments?.ToList() is { Count: > 0 } given)
        {
            var size = given.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + a.Value.GetRawText().Length);
            if (size > options.MaxArgumentBytes)
                return McpCallDecision.Refused(AccessDecision.Failed(DecisionFailure.Rejected, $"the arguments ({size} bytes) exceed MaxArgumentBytes") with { ReasonUser = "This call's arguments are too large to be authorized." });
            var node = new JsonObject();
            foreach (var (name, value) in given)
                node[name] = JsonNode.Parse(value.GetRawText());
            requestContext["arguments"] = node;
        }

        options.Tools.TryGetValue(tool, out var checkpoints);
        var items = new List<EvaluationItem> { new(Action: new AccessAction("tools/call"), Resource: ToolResource(tool)) };
        foreach (var read in checkpoints?.Reads ?? [])
            items.Add(new EvaluationItem(Action: new AccessAction("data.read"), Resource: new AuthZenResource(read.Type, read.Id)));
        foreach (var exposed in checkpoints?.Exposes ?? [])
            items.Add(new EvaluationItem(Action: new AccessAction("response.expose"), Resource: new AuthZenResource(exposed.Type, exposed.Id)));

        var call = new DecisionCallOptions { RequestId = requestId, UnderstoodObligations = understood };
        IReadOnlyList<AccessDecision> decisions = items.Count == 1
            ? [await arbiter.EvaluateAsync(new EvaluationRequest(caller.Subject, items[0].Action!, items[0].Resource!, requestContext), call, cancellationToken)]
            : await arbiter.EvaluateBatchAsync(new EvaluationsRequest(items, Subject: caller.Subject, Context: requestContext, Options: new EvaluationsOptions(EvaluationsSemantics.DenyOnFirstDeny)), call, cancellationToken);

        foreach (var decision in decisions)
        {
            if (McpDenials.IsOutage(decision))
                return McpCallDecision.Unavailable(decision);
            if (!decision.Allowed)
                return McpCallDecision.Refused(decision);
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
                    return McpCallDecision.Refused(AccessDecision.Failed(DecisionFailure.UnknownObligation, refusal, decision.DecisionId));
            }
        }
        return new McpCallDecision(null, false, decisions, rowFilters, redacted);
    }

    /// <summary>Which of <paramref name="tools"/> the caller may call (<c>tools/list</c>).</summary>
    public Task<McpListDecision> ListToolsAsync(McpCaller caller, IReadOnlyList<string> tools, string requestId, CancellationToken cancellationToken) =>
        AllowedAsync(caller, "tools/call", [.. tools.Select(ToolResource)], ToolObligations, requestId, cancellationToken);

    /// <summary>Which of the resource URIs the caller may read (<c>resources/list</c>).</summary>
    public Task<McpListDecision> ListResourcesAsync(McpCaller caller, IReadOnlyList<string> uris, string requestId, CancellationToken cancellationToken) =>
        AllowedAsync(caller, options.ResourceAction, [.. uris.Select(u => ServerResource(options.ResourceType, u))], NoObligations, requestId, cancellationToken);

    /// <summary>Which of the prompts the caller may get (<c>prompts/list</c>).</summary>
    public Task<McpListDecision> ListPromptsAsync(McpCaller caller, IReadOnlyList<string> names, string requestId, CancellationToken cancellationToken) =>
        AllowedAsync(caller, options.PromptAction, [.. names.Select(n => ServerResource(options.PromptType, n))], NoObligations, requestId, cancellationToken);

    /// <summary>One decision for <c>resources/read</c> of <paramref name="uri"/>.</summary>
    public Task<AccessDecision> ReadResourceAsync(McpCaller caller, string uri, string requestId, CancellationToken cancellationToken) =>
        RequireAsync(caller, options.ResourceAction, ServerResource(options.ResourceType, uri), requestId, cancellationToken);

    /// <summary>One decision for <c>prompts/get</c> of <paramref name="name"/>.</summary>
    public Task<AccessDecision> GetPromptAsync(McpCaller caller, string name, string requestId, CancellationToken cancellationToken) =>
        RequireAsync(caller, options.PromptAction, ServerResource(options.PromptType, name), requestId, cancellationToken);

    /// <summary>One decision per resource (batched, in chunks), permitted or not; any outage fails the whole list.</summary>
    private async Task<McpListDecision> AllowedAsync(McpCaller caller, string action, IReadOnlyList<AuthZenResource> resources, IReadOnlySet<string> understood, string requestId, CancellationToken cancellationToken)
    {
        var allowed = new bool[resources.Count];
        var call = new DecisionCallOptions { RequestId = requestId, UnderstoodObligations = understood };
        for (var start = 0; start < resources.Count; start += BatchChunk)
        {
            var chunk = resources.Skip(start).Take(BatchChunk).Select(r => new EvaluationItem(Resource: r)).ToList();
            var decisions = await arbiter.EvaluateBatchAsync(new EvaluationsRequest(chunk, caller.Subject, new AccessAction(action), Context: caller.Context(options.Caller.AgentType)), call, cancellationToken);
            for (var i = 0; i < decisions.Count; i++)
            {
                if (McpDenials.IsOutage(decisions[i]))
                    return new McpListDecision(allowed, decisions[i]);
                allowed[start + i] = decisions[i].Allowed;
            }
        }
        return new McpListDecision(allowed, null);
    }

    private Task<AccessDecision> RequireAsync(McpCaller caller, string action, AuthZenResource resource, string requestId, CancellationToken cancellationToken) =>
        arbiter.EvaluateAsync(new EvaluationRequest(caller.Subject, new AccessAction(action), resource, caller.Context(options.Caller.AgentType)), new DecisionCallOptions { RequestId = requestId, UnderstoodObligations = NoObligations }, cancellationToken);

    private AuthZenResource ToolResource(string tool) => new("tool", tool, new JsonObject { ["server"] = options.ServerOf(tool) });

    private AuthZenResource ServerResource(string type, string id) => new(type, id, new JsonObject { ["server"] = options.ServerId });

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
}
