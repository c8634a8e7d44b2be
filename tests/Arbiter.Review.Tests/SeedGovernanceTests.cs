using System.Text.Json;
using Arbiter.Server;

namespace Arbiter.Review.Tests;

/// <summary>The seed's governance part, read as the server's drift schedule reads it.</summary>
public sealed class SeedGovernanceTests
{
    [Fact]
    public void ChangesAfterCertification_DemoSeed_TheTwoLaterGrantsInFileOrder()
    {
        using var seed = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Seed", "demo-tenant.json")));

        var policies = SeedGovernance.ChangesAfterCertification(seed.RootElement);

        Assert.Equal(["recon-agent-warehouse-sql", "general-assistant-hr-policies"], policies.Select(p => p.Id));
    }

    [Fact]
    public void ChangesAfterCertification_NoGovernancePart_Nothing()
    {
        using var seed = JsonDocument.Parse("""{"format":"arbiter-tenant/1","policies":[]}""");
        Assert.Empty(SeedGovernance.ChangesAfterCertification(seed.RootElement));
    }

    [Theory]
    [InlineData("""{"governance":[]}""", "/governance must be")]
    [InlineData("""{"governance":{"afterCertification":{}}}""", "/governance must be")]
    [InlineData("""{"governance":{"afterCertification":{"policies":[{"id":"x","effect":"allow","actions":["tools/call"]}]}}}""", "/governance/afterCertification/policies/0")]
    public void ChangesAfterCertification_Malformed_ThrowsNamingThePath(string json, string path)
    {
        using var seed = JsonDocument.Parse(json);

        var error = Assert.Throws<JsonException>(() => SeedGovernance.ChangesAfterCertification(seed.RootElement));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
