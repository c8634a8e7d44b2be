namespace Arbiter.Deployment.Tests;

/// <summary>
/// infra/trx-summary.js, which ends the test command: it counts the TRX results into the summary line and prints each
/// failure with its message and the top of its stack, so the tail of a CI log says why a test failed.
/// </summary>
public sealed class TestSummaryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _folder = Directory.CreateTempSubdirectory("arbiter-trx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Summary_FailedResult_PrintsItsMessageAndStackAboveTheCounts()
    {
        File.WriteAllText(Path.Combine(_folder, "Some.Tests.trx"), """
            <TestRun><Results>
            <UnitTestResult testName="Some.Tests.Passes" outcome="Passed" duration="00:00:01" />
            <UnitTestResult testName="Some.Tests.Fails" outcome="Failed"><Output><ErrorInfo>
            <Message>Assert.Equal() Failure: Values differ &lt;expected&gt; &amp; "actual"</Message>
            <StackTrace>   at Some.Tests.Fails() in /src/Some.cs:line 12
               at Next.Frame()
            </StackTrace></ErrorInfo></Output></UnitTestResult>
            <UnitTestResult testName="Some.Tests.Skipped" outcome="NotExecuted" />
            </Results></TestRun>
            """);

        var run = Summarize();

        Assert.Equal(1, run.ExitCode);
        var lines = run.StdOut.TrimEnd().Split('\n');
        Assert.Equal("1 passed, 1 failed, 1 skipped", lines[^1]);
        Assert.Equal("FAILED Some.Tests.trx: Some.Tests.Fails (Failed)", lines[0]);
        Assert.Contains("Assert.Equal() Failure: Values differ <expected> & \"actual\"", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("at Some.Tests.Fails() in /src/Some.cs:line 12", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_AllPassed_PrintsOnlyTheCountsAndExitsZero()
    {
        File.WriteAllText(Path.Combine(_folder, "Some.Tests.trx"), """
            <TestRun><Results><UnitTestResult testName="Some.Tests.Passes" outcome="Passed" /></Results></TestRun>
            """);

        var run = Summarize();

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("1 passed, 0 failed", run.StdOut.Trim());
    }

    [Fact]
    public void Summary_ProjectBrokeWithoutAFailedResult_CountsItAsAFailure()
    {
        File.WriteAllText(Path.Combine(_folder, "Some.Tests.trx"), """
            <TestRun><Results><UnitTestResult testName="Some.Tests.Passes" outcome="Passed" /></Results></TestRun>
            """);

        var run = Summarize("1");

        Assert.Equal(1, run.ExitCode);
        Assert.EndsWith("1 passed, 1 failed", run.StdOut.Trim(), StringComparison.Ordinal);
    }

    private CliResult Summarize(string broken = "0") =>
        Command.Run("node", [Path.Combine(Repository.Root, "infra", "trx-summary.js"), _folder, broken], Timeout);
}
