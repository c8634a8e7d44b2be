using System.ComponentModel.DataAnnotations;

namespace Arbiter.Runtime.Snapshots;

/// <summary>How each instance keeps its in-memory snapshots fresh (section <c>Snapshot</c>).</summary>
public sealed class SnapshotOptions : IValidatableObject
{
    public const string Section = "Snapshot";

    /// <summary>Tenants loaded at start (comma-separated); others load on their first request.</summary>
    public string Tenants { get; set; } = "";

    /// <summary>Past this age without a successful read of the store, decisions fail closed.</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the change feed is read.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a tenant the store holds nothing of is answered "not set up" without asking the store again.</summary>
    public TimeSpan UnknownTenantTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many unknown tenants are remembered (a flood of invented <c>tid</c> values stays bounded).</summary>
    [Range(1, 1_000_000)]
    public int MaxUnknownTenants { get; set; } = 10_000;

    [Range(10, 10_000)]
    public int PageSize { get; set; } = 1000;

    public IReadOnlyList<string> TenantList =>
        Tenants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxStaleness <= TimeSpan.Zero)
            yield return new ValidationResult("Snapshot:MaxStaleness must be positive", [nameof(MaxStaleness)]);
        if (RefreshInterval <= TimeSpan.Zero || RefreshInterval >= MaxStaleness)
            yield return new ValidationResult("Snapshot:RefreshInterval must be positive and shorter than MaxStaleness", [nameof(RefreshInterval)]);
        if (UnknownTenantTtl < TimeSpan.Zero)
            yield return new ValidationResult("Snapshot:UnknownTenantTtl must not be negative", [nameof(UnknownTenantTtl)]);
    }
}
