using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Runtime.Audit;

/// <summary>
/// Who changed what: one <c>audit</c> document per admin or governance write (actor, action, kind, target, optional
/// detail and source). Written after the change it describes succeeded.
/// </summary>
public sealed class AuditLog(IDocumentStore store, TimeProvider time)
{
    public async Task RecordAsync(string tenantId, string actor, string action, string kind, string target,
        string? detail = null, string? source = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var record = new JsonObject
        {
            ["at"] = now,
            ["by"] = actor,
            ["action"] = action,
            ["kind"] = kind,
            ["target"] = target,
        };
        if (detail is not null)
            record["detail"] = detail;
        if (source is not null)
            record["source"] = source;
        await store.PutAsync(tenantId, DocumentKinds.Audit, $"{now:yyyyMMddHHmmssfff}-{Guid.NewGuid():n}",
            JsonSerializer.SerializeToElement(record, RuntimeJsonContext.Default.JsonObject), null, cancellationToken);
    }
}
