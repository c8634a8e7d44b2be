namespace Arbiter.Graph;

/// <summary>Per-tenant overrides of <see cref="GraphOptions"/>.</summary>
public sealed class GraphTenantOptions
{
    public string? BaseUrl { get; set; }
    public string? TenantId { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
}
