using Arbiter.Api.Admin;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Arbiter.Functions.Admin;

/// <summary>Impact replay of a candidate policy set over the decision log (admin role, checked by the edge middleware).</summary>
[RequiresRole(CallerRole.Admin)]
public sealed class ReplayFunction(ReplayHandler replay)
{
    [Function("PolicyReplay")]
    public async Task<IResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AdminDocuments.Prefix + "/" + ReplayHandler.Route)] HttpRequest request, CancellationToken ct) =>
        await replay.HandleAsync(request.Caller(), await request.JsonAsync(ct), ct);
}
