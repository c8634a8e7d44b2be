using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Arbiter.Server;

/// <summary>
/// The start-up failures an operator causes and fixes (a setting that fails validation, an address already in use):
/// said in one line on standard error with exit code 1, not as an unhandled exception with a stack trace (exit 134).
/// Anything else is a bug and keeps its stack trace.
/// </summary>
public static class StartupError
{
    public const int ExitCode = 1;

    /// <summary>The generic host's log category, which logs a failed start with its stack trace.</summary>
    public const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>The one-line reason when <paramref name="error"/> is an operator's start-up failure, else null.</summary>
    public static string? Describe(Exception error) => error switch
    {
        OptionsValidationException invalid => string.Join("; ", invalid.Failures),
        IOException { InnerException: AddressInUseException } bind => bind.Message,
        AggregateException { InnerExceptions.Count: 1 } one => Describe(one.InnerExceptions[0]),
        _ => null,
    };

    /// <summary>Writes the reason as one line (newlines in a message folded) and returns the exit code.</summary>
    public static int Report(string reason)
    {
        Console.Error.WriteLine("Arbiter cannot start: " + reason.ReplaceLineEndings(" "));
        return ExitCode;
    }
}
