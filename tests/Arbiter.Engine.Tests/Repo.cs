namespace Arbiter.Engine.Tests;

internal static class Repo
{
    /// <summary>The repository root (the folder holding Serverless.sln).</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("repository root (Serverless.sln) not found above " + AppContext.BaseDirectory);
    }
}
