namespace Arbiter.Deployment.Tests;

/// <summary>
/// Every Bicep and parameters file compiles and lints clean. Both commands exit 0 on warnings, so the
/// check is on their output: any diagnostic (Error, Warning, Info) fails the row.
/// </summary>
public sealed class BicepFileTests
{
    public static TheoryData<string> Files => new(Repository.BicepFiles());

    [Theory]
    [MemberData(nameof(Files))]
    public async Task BuildAndLint_File_ReportNoDiagnostics(string file)
    {
        var build = file.EndsWith(".bicepparam", StringComparison.Ordinal) ? "build-params" : "build";

        // Both CLI runs at once: each start costs seconds. --stdout keeps compiled JSON out of the
        // source tree; build diagnostics go to stderr.
        var built = Task.Run(() => BicepCli.Run(build, file, "--stdout"));
        var linted = Task.Run(() => BicepCli.Run("lint", file));
        var (buildResult, lintResult) = (await built, await linted);

        Assert.True(buildResult.ExitCode == 0, $"bicep {build} {file} exited {buildResult.ExitCode}:\n{buildResult.StdErr}");
        Assert.True(string.IsNullOrWhiteSpace(buildResult.StdErr), $"bicep {build} {file} reported:\n{buildResult.StdErr}");
        Assert.False(string.IsNullOrWhiteSpace(buildResult.StdOut), $"bicep {build} {file} printed no JSON.");
        Assert.True(lintResult.ExitCode == 0, $"bicep lint {file} exited {lintResult.ExitCode}:\n{lintResult.Output}");
        Assert.True(lintResult.Output.Length == 0, $"bicep lint {file} reported:\n{lintResult.Output}");
    }

    [Fact]
    public void BicepFiles_CoverMainModulesAndBothEnvironments()
    {
        var files = Repository.BicepFiles();

        Assert.Contains("bicep/main.bicep", files);
        Assert.Contains("bicep/main.dev.bicepparam", files);
        Assert.Contains("bicep/main.prod.bicepparam", files);
        Assert.Contains(files, f => f.StartsWith("bicep/modules/", StringComparison.Ordinal));
    }
}
