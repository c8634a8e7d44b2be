using System.Diagnostics;

namespace Arbiter.Cli.Tests.Infrastructure;

/// <summary>Runs the built CLI (arbiter.dll, copied next to the tests) in a folder and returns its exit code and output.</summary>
public static class CliProcess
{
    public sealed record Run(int ExitCode, string Output, string Errors)
    {
        public string All => Output + Errors;
    }

    public static async Task<Run> RunAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "arbiter.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        // A guard against a hang, not a timing assertion: the commands finish in well under a second.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"arbiter {string.Join(' ', arguments)} did not exit");
        }
        return new Run(process.ExitCode, await output, await errors);
    }
}
