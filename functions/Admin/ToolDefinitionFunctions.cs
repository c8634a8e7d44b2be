using Arbiter.Api.Admin;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Admin;

/// <summary>Tool-definition pinning as HTTP triggers: list and approve (admin role), observe (evaluate role: the gateway).</summary>
[RequiresRole(CallerRole.Admin)]
public sealed class ToolDefinitionFunctions(ToolDefinitionHandlers pins)
{
    private const string P = AdminDocuments.Prefix;

    [Function("ToolDefinitionObserve")]
    [RequiresRole(CallerRole.Evaluate)]
    public async Task<IResult> Observe([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/" + ToolDefinitionHandlers.ObserveRoute)] HttpRequest request, CancellationToken ct) =>
        await pins.ObserveAsync(request.Caller(), await request.JsonAsync(ct), ct);

    [Function("ToolDefinitionList")]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = P + "/tool-definitions")] HttpRequest request, CancellationToken ct) =>
        await pins.ListAsync(request.HttpContext, request.Caller(), ct);

    [Function("ToolDefinitionApprove")]
    public async Task<IResult> Approve([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = P + "/tool-definitions/{server}/{tool}/approve")] HttpRequest request, string server, string tool, CancellationToken ct) =>
        await pins.ApproveAsync(request.Caller(), server, tool, ct);
}
