namespace Arbiter.Runtime.Replay;

/// <summary>What one replay may hold and read, so a request can never take more than the server can give.</summary>
public sealed record ReplayLimits(int MaxRecords, int MaxFlips, int MaxGroups = 1000, int MaxSubjectsPerGroup = 10_000)
{
    public const int DefaultMaxRecords = 1_000_000;
    public const int DefaultMaxFlips = 200;
    public const int MaxFlipsAllowed = 5000;

    public static ReplayLimits Default { get; } = new(DefaultMaxRecords, DefaultMaxFlips);
}
