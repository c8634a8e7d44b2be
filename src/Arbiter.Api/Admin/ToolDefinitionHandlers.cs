using System.Text.Json;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Governance.Drift;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// Tool-definition pinning: an enforcement point (the MCP gateway, evaluate role) reports what a server lists and
/// learns each tool's state; operators (admin role) list the pins and approve a changed definition.
/// </summary>
public sealed class ToolDefinitionHandlers(ToolDefinitionPins pins)
{
    public const string ObserveRoute = "tool-definitions/observe";
    public const int MaxTools = 1000;
    public const int MaxDefinitionBytes = 64 * 1024;
    public const int MaxNameLength = 256;

    /// <summary><c>POST /manage/v1/tool-definitions/observe</c> <c>{server, tools:[{name, description?, inputSchema?}]}</c> → <c>{tools:[{name, state, hash, pinnedHash}]}</c>.</summary>
    public async Task<Results<JsonHttpResult<List<ToolPinState>>, ProblemHttpResult>> ObserveAsync(Caller caller, JsonInput input, CancellationToken cancellationToken)
    {
        var root = input.Root;
        if (root.ValueKind != JsonValueKind.Object)
            return Problems.BadRequest("the body must be an object", "");
        if (!root.TryGetProperty("server", out var server) || server.ValueKind != JsonValueKind.String || !ValidName(server.GetString()))
            return Problems.BadRequest($"'server' is required: 1-{MaxNameLength} characters without '/'", "/server");
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array)
            return Problems.BadRequest("'tools' is required: an array", "/tools");
        if (tools.GetArrayLength() > MaxTools)
            return Problems.BadRequest($"'tools' holds at most {MaxTools} tools", "/tools");
        var observed = new List<ObservedTool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var at = $"/tools/{i++}";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || !ValidName(name.GetString()))
                return Problems.BadRequest($"each tool needs a 'name' of 1-{MaxNameLength} characters without '/'", at + "/name");
            if (!names.Add(name.GetString()!))
                return Problems.BadRequest($"tool '{name.GetString()}' is listed twice", at + "/name");
            if (tool.GetRawText().Length > MaxDefinitionBytes)
                return Problems.BadRequest($"a tool definition is at most {MaxDefinitionBytes} bytes", at);
            string? description = null;
            if (tool.TryGetProperty("description", out var d) && d.ValueKind != JsonValueKind.Null)
            {
                if (d.ValueKind != JsonValueKind.String)
                    return Problems.BadRequest("'description' must be a string", at + "/description");
                description = d.GetString();
            }
            JsonElement? schema = null;
            if (tool.TryGetProperty("inputSchema", out var s) && s.ValueKind != JsonValueKind.Null)
            {
                if (s.ValueKind != JsonValueKind.Object)
                    return Problems.BadRequest("'inputSchema' must be an object", at + "/inputSchema");
                schema = s;
            }
            observed.Add(new ObservedTool(name.GetString()!, description, schema));
        }
        var states = await pins.ObserveAsync(caller.TenantId, server.GetString()!, observed, cancellationToken);
        return TypedResults.Json(states.ToList(), ToolDefinitionJsonContext.Default.ListToolPinState);
    }

    /// <summary><c>GET /manage/v1/tool-definitions?server=</c>: every pin, its state and, when changed, both definitions.</summary>
    public async Task<Results<JsonHttpResult<List<ToolDefinitionRecord>>, ProblemHttpResult>> ListAsync(HttpContext context, Caller caller, CancellationToken cancellationToken)
    {
        var server = context.Request.Query["server"].ToString();
        if (server.Length > MaxNameLength)
            return Problems.BadRequest($"'server' is at most {MaxNameLength} characters", "server");
        var records = await pins.ListAsync(caller.TenantId, server.Length == 0 ? null : server, cancellationToken);
        return TypedResults.Json(records.ToList(), ToolDefinitionJsonContext.Default.ListToolDefinitionRecord);
    }

    /// <summary><c>POST /manage/v1/tool-definitions/{server}/{tool}/approve</c>: pins the definition seen last and resolves its finding.</summary>
    public async Task<Results<JsonHttpResult<ToolDefinitionRecord>, ProblemHttpResult>> ApproveAsync(Caller caller, string server, string tool, CancellationToken cancellationToken)
    {
        if (!ValidName(server) || !ValidName(tool))
            return Problems.BadRequest($"server and tool are 1-{MaxNameLength} characters without '/'", ValidName(server) ? "tool" : "server");
        var record = await pins.ApproveAsync(caller.TenantId, server, tool, caller.Id, cancellationToken);
        return record is null
            ? Problems.NotFound($"no definition of tool '{tool}' on server '{server}' has been seen")
            : TypedResults.Json(record, ToolDefinitionJsonContext.Default.ToolDefinitionRecord);
    }

    private static bool ValidName(string? name) => name is { Length: > 0 and <= MaxNameLength } && !name.Contains('/', StringComparison.Ordinal);
}
