using Microsoft.Extensions.Configuration;

namespace Arbiter.Governance;

/// <summary>
/// Where the review-task queue's client settings are (Azure SDK client configuration, bound by <c>AddAzureClients</c>):
/// the section <see cref="GovernanceOptions.QueueConnection"/> names; else <see cref="DefaultSection"/>; else
/// <see cref="FunctionsHostStorage"/>, the Functions host's own storage, which the queue trigger reads. A section is a
/// connection string (its value, or <c>connectionString</c>) or a <c>serviceUri</c> used with the process's one credential
/// (<c>credential</c>/<c>clientId</c> in the section choose another, as for every Azure SDK client).
/// </summary>
public static class GovernanceQueueConnection
{
    public const string DefaultSection = "Governance:Queue";
    public const string FunctionsHostStorage = "AzureWebJobsStorage";

    /// <summary>The section to bind, or null when none is configured (the self-hosted server then runs without governance).</summary>
    public static IConfigurationSection? Find(IConfiguration configuration)
    {
        if (configuration[$"{GovernanceOptions.Section}:{nameof(GovernanceOptions.QueueConnection)}"] is { Length: > 0 } named)
            return IsConfigured(configuration.GetSection(named)) ? configuration.GetSection(named) : null;
        foreach (var name in new[] { DefaultSection, FunctionsHostStorage })
        {
            var section = configuration.GetSection(name);
            if (IsConfigured(section))
                return section;
        }
        return null;
    }

    /// <summary>The name to tell an operator when nothing is configured.</summary>
    public static string Expected(IConfiguration configuration) =>
        configuration[$"{GovernanceOptions.Section}:{nameof(GovernanceOptions.QueueConnection)}"] is { Length: > 0 } named ? named : DefaultSection;

    private static bool IsConfigured(IConfigurationSection section) =>
        !string.IsNullOrWhiteSpace(section.Value) || !string.IsNullOrWhiteSpace(section["connectionString"]) || !string.IsNullOrWhiteSpace(section["serviceUri"]);
}
