namespace Arbiter.Deployment.Tests;

/// <summary>Paths in the checkout the tests run from.</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding Serverless.sln.</summary>
    public static string Root => LazyRoot.Value;

    public static string BicepFolder => Path.Combine(Root, "bicep");

    /// <summary>Every .bicep and .bicepparam file under bicep/, relative to the repository root.</summary>
    public static IReadOnlyList<string> BicepFiles() =>
        Directory.EnumerateFiles(BicepFolder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".bicep", StringComparison.Ordinal) || f.EndsWith(".bicepparam", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Serverless.sln above {AppContext.BaseDirectory}.");
    }
}
