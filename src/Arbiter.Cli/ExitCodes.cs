namespace Arbiter.Cli;

/// <summary>What every command's exit code means, so a script can tell a finding from a breakage.</summary>
internal static class ExitCodes
{
    /// <summary>Done; nothing wrong found.</summary>
    public const int Ok = 0;

    /// <summary>Done, and something is wrong with the input: a policy problem, a failed policy test, a rejected import.</summary>
    public const int Failed = 1;

    /// <summary>Could not do it: a file that cannot be read, a bad option, a store or server that cannot be reached.</summary>
    public const int Error = 2;

    public const int Cancelled = 130;
}
