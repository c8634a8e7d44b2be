namespace Arbiter.Cli.Tests.Infrastructure;

/// <summary>Files of the repository the tests run in (the shipped schemas and samples), found from the test binaries upwards.</summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Serverless.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Serverless.sln) is not above the test binaries");
    }
}
