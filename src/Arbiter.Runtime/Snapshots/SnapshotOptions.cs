using System.ComponentModel.DataAnnotations;
using Arbiter.Runtime.Snapshots.Checkpoints;

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

    /// <summary>Snapshot checkpoints for fast cold starts (<c>Snapshot:Checkpoint</c>).</summary>
    public CheckpointOptions Checkpoint { get; set; } = new();

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
        if (Checkpoint.Interval <= TimeSpan.Zero)
            yield return new ValidationResult("Snapshot:Checkpoint:Interval must be positive", [nameof(Checkpoint)]);
        if (Checkpoint.MaxAge <= Checkpoint.Interval)
            yield return new ValidationResult("Snapshot:Checkpoint:MaxAge must be longer than Snapshot:Checkpoint:Interval (else every checkpoint is too old to use)", [nameof(Checkpoint)]);
        if (Checkpoint.MaxBytes is < 1024 or > 1024L * 1024 * 1024)
            yield return new ValidationResult("Snapshot:Checkpoint:MaxBytes must be between 1 KiB and 1 GiB", [nameof(Checkpoint)]);
        if (Checkpoint.Enabled && !IsContainerName(Checkpoint.Container))
            yield return new ValidationResult("Snapshot:Checkpoint:Container must be a blob container name (3-63 lowercase letters, digits and single hyphens)", [nameof(Checkpoint)]);
    }

    private static bool IsContainerName(string name) =>
        name.Length is >= 3 and <= 63 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
}
