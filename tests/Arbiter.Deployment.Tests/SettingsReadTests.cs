using System.Reflection;
using System.Text.Json.Nodes;
using Arbiter.Governance;
using Arbiter.Runtime;

namespace Arbiter.Deployment.Tests;

/// <summary>
/// Every setting in local.settings.sample.json and in the Function App's app settings (Bicep) is one the code reads: a
/// property of an options class bound from its section (found by reflection, so a new options class is covered), or one
/// of the few settings read outside options (the Functions host, the credential, OpenTelemetry, the queue client). A
/// setting nobody reads — a typo, or one the code stopped reading — fails here instead of being silently ignored.
/// </summary>
public sealed class SettingsReadTests
{
    /// <summary>Read outside options classes, each with its reader.</summary>
    private static readonly Dictionary<string, string> ReadElsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        [GovernanceQueueConnection.FunctionsHostStorage] = "the Functions host; the governance queue's fallback",
        ["AzureWebJobsStorage__accountName"] = "the Functions host (identity-based storage)",
        ["AzureWebJobsStorage__credential"] = "the Functions host (identity-based storage)",
        ["AzureWebJobsStorage__clientId"] = "the Functions host (identity-based storage)",
        ["FUNCTIONS_WORKER_RUNTIME"] = "the Functions host",
        ["AZURE_CLIENT_ID"] = "the one TokenCredential (DefaultAzureCredential's managed identity)",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "AddArbiterTelemetry (Azure Monitor exporter) and the Functions host",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "the Functions host's own telemetry (Entra ingestion)",
        [GovernanceQueueConnection.DefaultSection.Replace(":", "__", StringComparison.Ordinal)] = "AddAzureClients (the review queue client, a connection string)",
        [GovernanceQueueConnection.DefaultSection.Replace(":", "__", StringComparison.Ordinal) + "__serviceUri"] = "AddAzureClients (the review queue client, identity-based)",
        [ReviewEntraIdKey("Instance")] = "Microsoft.Identity.Web (the reviewer page's sign-in, ReviewEntraId)",
        [ReviewEntraIdKey("TenantId")] = "Microsoft.Identity.Web (the reviewer page's sign-in, ReviewEntraId)",
        [ReviewEntraIdKey("ClientId")] = "ReviewEntraId.IsConfigured and Microsoft.Identity.Web (the reviewer page's sign-in)",
    };

    private static string ReviewEntraIdKey(string name) =>
        Arbiter.Review.ReviewEntraId.Section.Replace(":", "__", StringComparison.Ordinal) + "__" + name;

    [Fact]
    public void SampleSettings_AreAllReadByTheCode()
    {
        var unread = SampleKeys().Where(key => !IsRead(key)).ToList();

        Assert.True(unread.Count == 0, $"local.settings.sample.json sets what no code reads: {string.Join(", ", unread)}");
    }

    [Fact]
    public void BicepAppSettings_AreAllReadByTheCode()
    {
        var unread = AppSettingsTests.AppSettings().Select(pair => pair.Key).Where(key => !IsRead(key)).ToList();

        Assert.True(unread.Count == 0, $"bicep/modules/functionapp.bicep sets what no code reads: {string.Join(", ", unread)}");
    }

    [Theory]
    [InlineData("Governance__QueueConnection")]
    [InlineData("Auth__MetadataAddress")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public void SampleSettings_IncludeWhatTheIssueFoundMissing(string key) => Assert.Contains(key, SampleKeys());

    [Fact]
    public void OptionsSections_AreFoundByReflection()
    {
        var sections = OptionsProperties().Keys;

        foreach (var section in new[] { "Arbiter", "Auth", "Store", "Cosmos", "Snapshot", "DecisionLog", "Graph", "Sync", "Governance" })
            Assert.Contains(section, sections);
    }

    private static bool IsRead(string key)
    {
        if (ReadElsewhere.ContainsKey(key) || TelemetryHostApplicationBuilderExtensions.OtlpEndpointSettings.Contains(key, StringComparer.OrdinalIgnoreCase))
            return true;
        var parts = key.Split("__");
        return parts.Length >= 2 && OptionsProperties().TryGetValue(parts[0], out var properties) && properties.Contains(parts[1]);
    }

    /// <summary>Section name → bindable property names, over every Arbiter options class with a Section/SectionName constant.</summary>
    private static Dictionary<string, HashSet<string>> OptionsProperties()
    {
        var sections = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        var assemblies = new[] { typeof(Arbiter.Server.SeedOptions).Assembly }
            .Concat(typeof(Arbiter.Server.SeedOptions).Assembly.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("Arbiter.", StringComparison.Ordinal)).Select(Assembly.Load))
            .Concat([typeof(GovernanceOptions).Assembly, typeof(Arbiter.Graph.GraphOptions).Assembly, typeof(Arbiter.DecisionLog.DecisionLogOptions).Assembly,
                typeof(Arbiter.Store.Sqlite.SqliteStoreOptions).Assembly, typeof(Arbiter.Store.Cosmos.CosmosStoreOptions).Assembly])
            .Distinct();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal)))
        {
            var constant = type.GetField("Section", BindingFlags.Public | BindingFlags.Static) ?? type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
            if (constant?.GetValue(null) is not string section)
                continue;
            if (!sections.TryGetValue(section, out var properties))
                sections[section] = properties = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
                properties.Add(property.Name);
        }
        return sections;
    }

    private static List<string> SampleKeys()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "local.settings.sample.json")))!;
        return [.. sample["Values"]!.AsObject().Select(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal))];
    }
}
