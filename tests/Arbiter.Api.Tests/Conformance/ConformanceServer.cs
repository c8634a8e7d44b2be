using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// The real server seeded with one conformance tenant file (under Conformance/ in the test output) instead of the demo
/// tenant, as its only tenant and, in Development mode, every caller's tenant.
/// </summary>
public abstract class ConformanceServer : ArbiterServerFixture
{
    /// <summary>The tenant file, relative to the Conformance folder.</summary>
    protected abstract string TenantFile { get; }

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Seed:File"] = ConformanceCases.PathOf(TenantFile);
        return settings;
    }
}

/// <summary>The Todo scenario and its API-gateway layer.</summary>
public sealed class TodoServer : ConformanceServer
{
    public override string SeedTenant => "todo";

    protected override string TenantFile => "Todo/todo.tenant.json";
}

/// <summary>The search scenario's users and records (the IdP scenario uses the same data).</summary>
public sealed class RecordsServer : ConformanceServer
{
    public override string SeedTenant => "records";

    protected override string TenantFile => "Records/records.tenant.json";
}

/// <summary>The AuthZEN 1.0 certification fixture.</summary>
public sealed class CertificationServer : ConformanceServer
{
    public override string SeedTenant => "certification";

    protected override string TenantFile => "Certification/certification.tenant.json";
}
