using Arbiter.Api.Http;
using Arbiter.Api.Snapshots;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Health;

/// <summary>
/// Health: the process answers, and for each loaded tenant the snapshot version, its age and the store's state.
/// 200 when every snapshot is fresh, 503 when one is stale (its decisions are failing closed). No tenant data beyond counts.
/// </summary>
public sealed class HealthEndpoint(TimeProvider time, TenantSnapshots snapshots)
{
    public IResult Handle(HttpContext context)
    {
        RequestIds.Echo(context);
        var status = snapshots.Status();
        var healthy = status.All(s => !s.Stale);
        var report = new HealthReport(healthy ? "healthy" : "degraded", time.GetUtcNow(), status);
        return healthy ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

public sealed record HealthReport(string Status, DateTimeOffset CheckedAt, IReadOnlyList<SnapshotStatus> Snapshots);
