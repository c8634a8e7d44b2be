using Arbiter.Store.Cosmos.DecisionLog;

namespace Arbiter.DecisionLog.Tests;

/// <summary>The decisions container's indexing policy is written twice (container creation and Bicep): both must agree.</summary>
public sealed class CosmosIndexingPolicyTests
{
    private static string DecisionsContainerBicep()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            dir = dir.Parent;
        }

        var text = File.ReadAllText(Path.Combine(dir!.FullName, "bicep", "modules", "cosmos.bicep"));
        var start = text.IndexOf("resource decisions ", StringComparison.Ordinal);
        var end = text.IndexOf("\nresource ", start + 1, StringComparison.Ordinal);
        return text[start..(end < 0 ? text.Length : end)];
    }

    [Fact]
    public void IndexingPolicy_BicepAndSink_SamePathsAndEverythingElseExcluded()
    {
        var bicep = DecisionsContainerBicep();
        var included = bicep[bicep.IndexOf("includedPaths", StringComparison.Ordinal)..bicep.IndexOf("excludedPaths", StringComparison.Ordinal)];
        var bicepPaths = included.Split('\'').Where(s => s.StartsWith('/')).ToList();
        var policy = CosmosDecisionLogSink.IndexingPolicy();

        Assert.Equal(CosmosDecisionLogSink.IndexedPaths.Order(StringComparer.Ordinal), bicepPaths.Order(StringComparer.Ordinal));
        Assert.Equal(CosmosDecisionLogSink.IndexedPaths, policy.IncludedPaths.Select(p => p.Path));
        Assert.Equal("/*", Assert.Single(policy.ExcludedPaths).Path);
        Assert.Contains("path: '/*'", bicep[bicep.IndexOf("excludedPaths", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.DoesNotContain("/z/", string.Join(",", bicepPaths), StringComparison.Ordinal);
    }
}
