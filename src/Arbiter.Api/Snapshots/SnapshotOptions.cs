using System.ComponentModel.DataAnnotations;

namespace Arbiter.Api.Snapshots;

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
    }
}
