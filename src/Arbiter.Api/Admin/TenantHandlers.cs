using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>Tenant import (validated whole before anything is written) and export (admin role).</summary>
public sealed class TenantHandlers(TenantTransfer transfer, AdminDocuments documents, TenantSnapshots snapshots)
{
    public async Task<Results<JsonHttpResult<ImportDto>, ProblemHttpResult>> ImportAsync(Caller caller, JsonInput input, CancellationToken cancellationToken)
    {
        var result = await transfer.ImportAsync(caller.TenantId, input.Root, null, cancellationToken);
        if (!result.Succeeded)
            return Problems.BadRequest($"the tenant file has {result.Problems.Count} problem(s); nothing was written", result.Problems[0].Path, result.Problems.Select(ProblemDto.From));
        await documents.AuditAsync(caller, "import", "tenant", caller.TenantId, cancellationToken);
        await snapshots.RefreshQuietlyAsync(caller.TenantId, cancellationToken);
        return TypedResults.Json(new ImportDto(result.Written, []), ApiJsonContext.Wire.ImportDto);
    }

    public async Task<JsonHttpResult<System.Text.Json.Nodes.JsonObject>> ExportAsync(Caller caller, CancellationToken cancellationToken) =>
        TypedResults.Json(await transfer.ExportAsync(caller.TenantId, cancellationToken), ApiJsonContext.Wire.JsonObject);
}
