namespace Arbiter.Api.Sync;

/// <summary>Entra ID sync scheduling (section <c>Sync</c>); Graph connection settings are in section <c>Graph</c>.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>Whether the timer runs the sync (off by default: a tenant needs Graph permissions first).</summary>
    public bool Enabled { get; set; }

    /// <summary>NCRONTAB schedule of the timer function (the function binds it as %Sync:Schedule%).</summary>
    public string Schedule { get; set; } = "0 */5 * * * *";
}
