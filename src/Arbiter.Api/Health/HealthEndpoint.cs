using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Health;

/// <summary>Liveness: the process is up and can answer. Shared by the Functions app and the self-hosted server.</summary>
public sealed class HealthEndpoint(TimeProvider time)
{
    public Ok<HealthReport> Handle() =>
        TypedResults.Ok(new HealthReport("healthy", time.GetUtcNow()));
}

public sealed record HealthReport(string Status, DateTimeOffset CheckedAt);
