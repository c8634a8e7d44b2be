using System.Text.Json.Nodes;

namespace Arbiter.Deployment.Tests;

/// <summary>
/// The Function App's app settings in Bicep stay in step with local.settings.sample.json, which
/// documents every setting the app reads. The sample is read at test time, so a setting added there
/// later fails here until Bicep sets it too.
/// </summary>
public sealed class AppSettingsTests
{
    /// <summary>Sample keys that must NOT be deployed, each with the reason.</summary>
    private static readonly Dictionary<string, string> LocalOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        // Azurite connection string locally; in Azure the identity-based AzureWebJobsStorage__* settings.
        ["AzureWebJobsStorage"] = "identity-based AzureWebJobsStorage__accountName/__credential/__clientId in Azure",
        // Flex Consumption rejects it as an app setting; functionAppConfig.runtime sets the worker runtime.
        ["FUNCTIONS_WORKER_RUNTIME"] = "set by functionAppConfig.runtime on Flex Consumption",
        // The local emulator's key; the Azure account has keys disabled (disableLocalAuth).
        ["Cosmos__Key"] = "Cosmos DB keys are disabled in Azure; the app uses its managed identity",
        // The emulator's connection string locally; Governance__Queue__serviceUri with the identity in Azure.
        ["Governance__Queue"] = "identity-based Governance__Queue__serviceUri in Azure",
        // Azurite's connection string locally; Snapshot__Checkpoint__Storage__serviceUri with the identity in Azure.
        ["Snapshot__Checkpoint__Storage"] = "identity-based Snapshot__Checkpoint__Storage__serviceUri in Azure",
    };

    [Fact]
    public void SampleSettings_AreAllAppSettings_ExceptLocalOnly()
    {
        var deployed = AppSettings();

        var missing = SampleSettingKeys()
            .Where(key => !LocalOnly.ContainsKey(key) && !deployed.ContainsKey(key))
            .ToList();

        Assert.True(missing.Count == 0,
            "Settings documented in local.settings.sample.json but missing from the Function App's app settings "
            + $"(bicep/modules/functionapp.bicep): {string.Join(", ", missing)}");
    }

    [Fact]
    public void LocalOnlySettings_AreNotDeployed()
    {
        var deployed = AppSettings();

        foreach (var (key, reason) in LocalOnly)
        {
            Assert.False(deployed.ContainsKey(key), $"{key} must not be an app setting in Azure: {reason}.");
        }
    }

    [Fact]
    public void AuthMode_IsEntraId_NeverDevelopment()
    {
        var mode = AppSettings()["Auth__Mode"]?.GetValue<string>();

        Assert.Equal("EntraId", mode);
    }

    [Fact]
    public void StoreKind_IsCosmos()
    {
        Assert.Equal("Cosmos", AppSettings()["Store__Kind"]?.GetValue<string>());
    }

    [Fact]
    public void CosmosContainers_AreNotCreatedByTheApp()
    {
        // Data-plane RBAC cannot create databases or containers; Bicep does.
        Assert.Equal("false", AppSettings()["Cosmos__CreateIfNotExists"]?.GetValue<string>());
    }

    [Fact]
    public void RuntimeStorage_IsIdentityBased()
    {
        var settings = AppSettings();

        Assert.True(settings.ContainsKey("AzureWebJobsStorage__accountName"));
        Assert.True(settings.ContainsKey("AzureWebJobsStorage__clientId"));
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]?.GetValue<string>());
    }

    [Fact]
    public void Telemetry_UsesEntraAuthentication()
    {
        var settings = AppSettings();

        Assert.True(settings.ContainsKey("APPLICATIONINSIGHTS_CONNECTION_STRING"));
        Assert.StartsWith("[format('Authorization=AAD;ClientId=",
            settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(settings.ContainsKey("AZURE_CLIENT_ID"));
    }

    [Fact]
    public void AppSettings_HoldNoSecrets()
    {
        var secretLike = AppSettings()
            .Select(pair => pair.Key)
            .Where(key => key.Contains("key", StringComparison.OrdinalIgnoreCase)
                || key.Contains("password", StringComparison.OrdinalIgnoreCase)
                || key.Contains("secret", StringComparison.OrdinalIgnoreCase))
            .ToList();

        Assert.Empty(secretLike);
    }

    [Fact]
    public void AzdParameters_NameParametersOfMain()
    {
        var azd = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepFolder, "main.parameters.json")))!;
        var declared = CompiledTemplate.Main["parameters"]!.AsObject();

        var unknown = azd["parameters"]!.AsObject().Select(pair => pair.Key).Where(key => !declared.ContainsKey(key)).ToList();

        Assert.Empty(unknown);
    }

    internal static JsonObject AppSettings()
    {
        var config = Assert.Single(
            CompiledTemplate.Resources("Microsoft.Web/sites/config"),
            resource => resource.Name.Contains("'appsettings'", StringComparison.Ordinal));
        return config.Properties;
    }

    private static IEnumerable<string> SampleSettingKeys()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "local.settings.sample.json")))!;
        var values = sample["Values"] as JsonObject
            ?? throw new InvalidOperationException("local.settings.sample.json has no \"Values\" object.");
        // "Section:Key" and "Section__Key" are the same configuration key; app settings use "__".
        return values.Select(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal));
    }
}
