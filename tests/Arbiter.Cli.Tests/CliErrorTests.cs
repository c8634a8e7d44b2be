using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

/// <summary>Whatever goes wrong, the CLI says it in one line and exits non-zero; it never prints a stack trace.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TenantExport_NoStoreConfigured_OneLineNamingTheSettingAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "tenant", "export", "--tenant", "t1");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        var line = Assert.Single(Lines(run.Errors));
        Assert.StartsWith("arbiter: Store:SqlitePath is required", line, StringComparison.Ordinal);
        Assert.Contains("pass --sqlite FILE", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantImport_MissingFile_OneLineAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "tenant", "import", "--tenant", "t1", "--file", "/nope.json", "--sqlite", "store.db");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        Assert.StartsWith("cannot read /nope.json: ", Assert.Single(Lines(run.Errors)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_NamesItPointsToHelpAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "policy", "vaildate", "x.json");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("arbiter: Unrecognized command or argument 'vaildate'.", run.Errors, StringComparison.Ordinal);
        Assert.Contains("see 'arbiter policy --help'", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArguments_PrintsTheCommandsAndExitsZero()
    {
        var run = await CliProcess.RunAsync(_folder.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("policy", run.Output, StringComparison.Ordinal);
        Assert.Contains("tenant", run.Output, StringComparison.Ordinal);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
