using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Arbiter.Cli;

/// <summary>
/// Runs the command line with one error rule: anything a command does not handle itself (a store that is not
/// configured, a server that does not answer, a file that cannot be written) becomes one line on standard error and
/// exit code <see cref="ExitCodes.Error"/>, never a stack trace — an operator reads the line, a CI step reads the code.
/// </summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        // No arguments: the overview, not an error.
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        // A mistyped command line is a usage error (exit 2, like a file that cannot be read), one line per mistake.
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"arbiter: {error.Message}");
            Console.Error.WriteLine($"see 'arbiter {string.Join(' ', CommandPath(parse.CommandResult.Command))} --help'".Replace("arbiter  --help", "arbiter --help", StringComparison.Ordinal));
            return ExitCodes.Error;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("arbiter: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"arbiter: {Describe(e)}");
            return ExitCodes.Error;
        }
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return names;
    }

    /// <summary>The one line for <paramref name="e"/>: its own message, the innermost cause when it adds something, and a hint for a missing store.</summary>
    public static string Describe(Exception e)
    {
        while (e is TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException!;
        var line = FirstLine(e.Message);
        var inner = e.InnerException;
        while (inner?.InnerException is not null)
            inner = inner.InnerException;
        if (inner is not null && !line.Contains(FirstLine(inner.Message), StringComparison.Ordinal))
            line += $" ({FirstLine(inner.Message)})";
        if (e is OptionsValidationException && line.Contains("Store:", StringComparison.Ordinal))
            line += "; pass --sqlite FILE, or set Store__Kind and its settings (README: the CLI)";
        return line;
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
