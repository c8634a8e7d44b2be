using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.DecisionLog;
using Arbiter.Runtime.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Health;

/// <summary>
/// Health. Anyone gets the aggregate: healthy or degraded (some snapshot is stale and its decisions fail closed), how
/// many tenants are loaded and the oldest snapshot age — no tenant ids. A caller with the admin role also gets their
/// own tenant's snapshot version, age and store state. 200 when healthy, 503 when degraded. The decision log degrades it
/// too, while it cannot keep its promise (journal not writable, sink failing): <see cref="HealthReport.DecisionLog"/> says why.
/// </summary>
public sealed class HealthEndpoint(TimeProvider time, TenantSnapshots snapshots, CallerAuthenticator authenticator, IOptions<AuthOptions> authOptions, DecisionLogger? decisionLog = null)
{
    /// <summary>A public route: the edge does not authenticate it; an admin's token, when sent, is checked here (optional).</summary>
    public async Task<IResult> HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var status = snapshots.Status();
        var log = decisionLog?.Health ?? DecisionLogHealth.Ok;
        var healthy = status.All(s => !s.Stale) && log.Healthy;
        IReadOnlyList<SnapshotStatus>? mine = null;
        if (context.Request.Headers.Authorization.Count > 0 || authOptions.Value.Mode == AuthMode.Development)
        {
            var (caller, _) = await authenticator.AuthenticateAsync(context, authOptions.Value.AdminRole, cancellationToken);
            if (caller is not null)
                mine = [.. status.Where(s => s.TenantId == caller.TenantId)];
            context.Response.Headers.Remove("WWW-Authenticate");
        }
        var report = new HealthReport(
            healthy ? "healthy" : "degraded",
            time.GetUtcNow(),
            status.Count,
            status.Count(s => s.Stale),
            status.Count == 0 ? 0 : status.Max(s => s.AgeSeconds < 0 ? double.PositiveInfinity : s.AgeSeconds) is var oldest && double.IsInfinity(oldest) ? -1 : oldest,
            mine,
            log.Healthy ? log.Status : log.Reason!);
        return healthy ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary><see cref="OldestAgeSeconds"/> is -1 when some tenant has never been read. <see cref="DecisionLog"/>: "healthy" or why not.</summary>
public sealed record HealthReport(string Status, DateTimeOffset CheckedAt, int Tenants, int Stale, double OldestAgeSeconds, IReadOnlyList<SnapshotStatus>? Snapshots, string DecisionLog);
