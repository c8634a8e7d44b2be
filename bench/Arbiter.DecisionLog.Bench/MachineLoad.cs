namespace Arbiter.DecisionLog.Bench;

/// <summary>The machine's load average over the last minute, printed beside each figure (the machine is shared).</summary>
internal static class MachineLoad
{
    public static string OneMinute() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
