using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Runtime.Agents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// The agent kill switch (admin role). When the call returns, this instance denies at once; others within their
/// refresh interval (<c>Snapshot:RefreshInterval</c>).
/// </summary>
public sealed class AgentHandlers(AgentKillSwitch killSwitch)
{
    public Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> SuspendAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        SetSuspendedAsync(context, caller, id, suspended: true, cancellationToken);

    public Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> ResumeAsync(HttpContext context, Caller caller, string id, CancellationToken cancellationToken) =>
        SetSuspendedAsync(context, caller, id, suspended: false, cancellationToken);

    private async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> SetSuspendedAsync(HttpContext context, Caller caller, string id, bool suspended, CancellationToken cancellationToken)
    {
        var result = await killSwitch.SetSuspendedAsync(caller.TenantId, id, suspended, caller.Id, cancellationToken: cancellationToken);
        return result.Outcome switch
        {
            KillSwitchOutcome.Done => AdminDocuments.Document(context, result.Agent!, StatusCodes.Status200OK),
            KillSwitchOutcome.NotFound => (Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>)Problems.NotFound($"agent '{id}' does not exist"),
            _ => Problems.Conflict($"agent '{id}' kept changing; try again"),
        };
    }
}
