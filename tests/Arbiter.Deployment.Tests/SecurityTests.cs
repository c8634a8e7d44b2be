using System.Text.Json.Nodes;

namespace Arbiter.Deployment.Tests;

/// <summary>No keys anywhere, identity-based access with explicit principal types, retention on the decision log.</summary>
public sealed class SecurityTests
{
    private const string CosmosDataContributor = "00000000-0000-0000-0000-000000000002";

    [Fact]
    public void CosmosAccount_IsServerless_WithLocalAuthDisabled()
    {
        var account = Assert.Single(CompiledTemplate.Resources("Microsoft.DocumentDB/databaseAccounts"));

        Assert.True(account.Property("disableLocalAuth")?.GetValue<bool>());
        Assert.Contains(account.Property("capabilities")!.AsArray(),
            capability => capability?["name"]?.GetValue<string>() == "EnableServerless");
    }

    [Fact]
    public void StorageAccount_DisallowsSharedKeysAndPublicBlobs()
    {
        var storage = Assert.Single(CompiledTemplate.Resources("Microsoft.Storage/storageAccounts"));

        Assert.False(storage.Property("allowSharedKeyAccess")?.GetValue<bool>());
        Assert.False(storage.Property("allowBlobPublicAccess")?.GetValue<bool>());
    }

    [Fact]
    public void ApplicationInsights_DisablesLocalAuth()
    {
        var insights = Assert.Single(CompiledTemplate.Resources("Microsoft.Insights/components"));

        Assert.True(insights.Property("DisableLocalAuth")?.GetValue<bool>());
    }

    [Fact]
    public void DecisionsContainer_HasDefaultTtl()
    {
        var decisions = Assert.Single(Containers(), c => IdOf(c).Contains("decisions", StringComparison.Ordinal));

        Assert.NotNull(decisions.Property("resource", "defaultTtl"));
    }

    /// <summary>
    /// Tenant isolation: documents are partitioned per tenant. The decision log is the exception, on <c>/pk</c> =
    /// <c>{tenant}:{hour}:{bucket}</c> (still tenant-prefixed, and every query names the tenant) so one busy tenant's
    /// decisions do not all land in one hot logical partition (see docs/decision-log.md).
    /// </summary>
    [Fact]
    public void Containers_ArePartitionedOnTenantId_DecisionsOnBucketedPk()
    {
        var containers = Containers();

        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            var paths = container.Property("resource", "partitionKey", "paths")!.AsArray();
            var expected = IdOf(container).Contains("decisions", StringComparison.Ordinal) ? "/pk" : "/tenantId";
            Assert.Equal(expected, Assert.Single(paths)?.GetValue<string>());
        }
    }

    [Fact]
    public void RoleAssignments_AreNamedByGuid_WithExplicitPrincipalType()
    {
        var assignments = CompiledTemplate.Resources("Microsoft.Authorization/roleAssignments");

        Assert.NotEmpty(assignments);
        foreach (var assignment in assignments)
        {
            Assert.StartsWith("[guid(", assignment.Name, StringComparison.Ordinal);
            Assert.Contains(assignment.Property("principalType")?.GetValue<string>(), new[] { "ServicePrincipal", "User" });
        }
    }

    [Fact]
    public void CosmosDataPlane_GrantsBuiltInDataContributor()
    {
        var assignments = CompiledTemplate.Resources("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments");

        Assert.NotEmpty(assignments);
        foreach (var assignment in assignments)
        {
            Assert.Contains("guid(", assignment.Name, StringComparison.Ordinal);
            Assert.Contains(CosmosDataContributor, assignment.Property("roleDefinitionId")?.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FunctionApp_RunsFlexConsumptionDotnet10_AsUserAssignedIdentity()
    {
        var site = Assert.Single(CompiledTemplate.Resources("Microsoft.Web/sites"));
        var plan = Assert.Single(CompiledTemplate.Resources("Microsoft.Web/serverfarms"));

        Assert.Equal("FC1", plan.Declaration["sku"]?["name"]?.GetValue<string>());
        Assert.Equal("UserAssigned", site.Declaration["identity"]?["type"]?.GetValue<string>());
        Assert.True(site.Property("httpsOnly")?.GetValue<bool>());
        Assert.Equal("dotnet-isolated", site.Property("functionAppConfig", "runtime", "name")?.GetValue<string>());
        Assert.Equal("10.0", site.Property("functionAppConfig", "runtime", "version")?.GetValue<string>());
        Assert.Equal("UserAssignedIdentity",
            site.Property("functionAppConfig", "deployment", "storage", "authentication", "type")?.GetValue<string>());
    }

    [Fact]
    public void Outputs_AreNamesIdsAndEndpoints_NeverSecrets()
    {
        var outputs = CompiledTemplate.Main["outputs"]!.AsObject();

        foreach (var (name, output) in outputs)
        {
            Assert.DoesNotContain("key", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secret", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("password", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("connectionstring", name, StringComparison.OrdinalIgnoreCase);
            // list*() functions (listKeys, listConnectionStrings...) are how secrets leak into outputs.
            Assert.DoesNotMatch(@"\blist\w*\(", output?["value"]?.GetValue<string>() ?? "");
        }
    }

    private static IReadOnlyList<TemplateResource> Containers() =>
        CompiledTemplate.Resources("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers");

    private static string IdOf(TemplateResource container) =>
        container.Property("resource", "id")?.ToJsonString() ?? "";
}
